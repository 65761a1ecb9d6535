import { Nullable, OneOf, Type, type Static } from './schema.js';

export const SLOTS = ['a', 'b'] as const;
export const Slot = OneOf(SLOTS, 'system slot: a (boot 2, root 5) or b (boot 3, root 6)');
export type Slot = Static<typeof Slot>;

/** P/update: the state of Home Assistant's `update` entity, plus the slots. */
export const UpdateState = Type.Object({
  installed_version: Type.String({ description: 'the running firmware version' }),
  latest_version: Nullable(Type.String(), "the release channel's version at the last check, or null before one"),
  release_url: Nullable(Type.String(), "the release's notes, from its manifest"),
  title: Type.String({ description: 'what Home Assistant shows as the software name' }),
  in_progress: Type.Boolean({ description: 'an update is being written' }),
  update_percentage: Nullable(Type.Integer({ minimum: 0, maximum: 100 }), 'progress while writing, else null'),
  running_slot: Nullable(Slot, 'the slot the box booted (roombox.slot on the kernel command line), or null off an A/B card'),
  committed_slot: Nullable(Slot, 'the slot autoboot.txt boots normally, or null off an A/B card'),
  trial: Type.Boolean({ description: 'this is a trial boot of a new slot, not yet committed' }),
  last_check: Nullable(Type.String(), 'ISO time of the last check, or null'),
  last_error: Nullable(Type.String(), "the last check's or install's error, or null"),
});
export type UpdateState = Static<typeof UpdateState>;

/** A release channel's manifest.json (checked only after its signature). */
export const Manifest = Type.Object({
  format: Type.Literal(1),
  version: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+' }),
  min_version: Type.Optional(Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+' })),
  release_url: Type.Optional(Type.String()),
  created: Type.Optional(Type.String()),
  parts: Type.Array(
    Type.Object({
      name: Type.Union([Type.Literal('boot'), Type.Literal('root')]),
      file: Type.String({ pattern: '^[A-Za-z0-9._-]+$' }),
      size: Type.Integer({ minimum: 1 }),
      sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
      compressed_size: Type.Optional(Type.Integer({ minimum: 1 })),
      compressed_sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
    }),
    { minItems: 1 },
  ),
});
export type Manifest = Static<typeof Manifest>;
