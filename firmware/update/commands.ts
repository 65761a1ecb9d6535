import type { CommandRegistry } from '../core/commands.js';
import { UserError } from '../core/errors.js';
import type { UpdateAgent } from './agent.js';

/** `update check|install [--allow-downgrade]|status` on the console and P/request. */
export function registerUpdateCommands(commands: CommandRegistry, agent: UpdateAgent): void {
  commands.register({
    words: ['update', 'status'],
    summary: 'installed and latest version, slots (running, committed, trial), progress, last outcome',
    readOnly: true,
    run: () => {
      const s = agent.state();
      const last = agent.lastOutcome() ?? null;
      const slots = s.running_slot === null ? 'not an A/B card' : `running ${s.running_slot}, committed ${s.committed_slot ?? '?'}${s.trial ? ' (TRIAL boot, not yet committed)' : ''}`;
      const text = [
        `installed ${s.installed_version}, latest ${s.latest_version ?? 'unknown'}${s.last_check ? ` (checked ${s.last_check})` : ''}`,
        `slots: ${slots}`,
        `in progress: ${s.in_progress ? `${s.update_percentage} %` : 'no'}`,
        `last update: ${last ? `${last.outcome} ${last.from_version} -> ${last.to_version} (slot ${last.slot}) at ${last.at}` : 'none'}`,
        ...(last?.reason ? [`  reason: ${last.reason}`] : []),
        `last error: ${s.last_error ?? 'none'}`,
      ].join('\n');
      return { text, data: { ...s, last } };
    },
  });

  commands.register({
    words: ['update', 'check'],
    summary: "fetch the release channel's signed manifest: latest version",
    readOnly: true,
    run: async () => {
      const { manifest } = await agent.check();
      const s = agent.state();
      const verdict = manifest.version === s.installed_version ? 'up to date' : `${manifest.version} available`;
      return { text: `installed ${s.installed_version}, latest ${manifest.version}: ${verdict}${manifest.release_url ? `\nrelease notes: ${manifest.release_url}` : ''}`, data: s };
    },
  });

  commands.register({
    words: ['update', 'install'],
    args: '[--allow-downgrade]',
    summary: 'write the latest release into the other slot, then reboot to try it',
    readOnly: false,
    run: async (args) => {
      const unknown = args.filter((a) => a !== '--allow-downgrade');
      if (unknown.length) throw new UserError(`unknown argument '${unknown[0]!.slice(0, 32)}' (update install [--allow-downgrade])`);
      return { text: await agent.install({ allowDowngrade: args.includes('--allow-downgrade') }) };
    },
  });
}
