#!/usr/bin/env node
// The ed25519 keys and signatures of update releases (node:crypto only).
//   node scripts/update-sign.mjs keygen <dir>              writes <dir>/update-key.pem (private,
//                                                          mode 0600) and <dir>/update-key.pub
//   node scripts/update-sign.mjs public <private.pem>      prints the public key (PEM, SPKI)
//   node scripts/update-sign.mjs sign <private.pem> <file> prints the file's signature, base64
//   node scripts/update-sign.mjs verify <public.pem> <file> <signature file>   exit 0 when valid
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [command, ...args] = process.argv.slice(2);
const fail = (message) => {
  process.stderr.write(`update-sign: ${message}\n`);
  process.exit(2);
};
const privateKey = (path) => {
  const key = createPrivateKey(readFileSync(path));
  if (key.asymmetricKeyType !== 'ed25519') fail(`${path} is a ${key.asymmetricKeyType} key, not ed25519`);
  return key;
};
const publicPem = (key) => createPublicKey(key).export({ type: 'spki', format: 'pem' });

switch (command) {
  case 'keygen': {
    const [dir] = args;
    if (!dir) fail('usage: keygen <dir>');
    const pem = join(dir, 'update-key.pem');
    if (existsSync(pem)) fail(`${pem} exists: not overwriting a signing key`);
    const { privateKey: key } = generateKeyPairSync('ed25519');
    writeFileSync(pem, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(dir, 'update-key.pub'), publicPem(key));
    break;
  }
  case 'public':
    if (!args[0]) fail('usage: public <private.pem>');
    process.stdout.write(publicPem(privateKey(args[0])));
    break;
  case 'sign':
    if (!args[1]) fail('usage: sign <private.pem> <file>');
    process.stdout.write(`${sign(null, readFileSync(args[1]), privateKey(args[0])).toString('base64')}\n`);
    break;
  case 'verify': {
    if (!args[2]) fail('usage: verify <public.pem> <file> <signature file>');
    const signature = Buffer.from(readFileSync(args[2], 'utf8').trim(), 'base64');
    process.exit(verify(null, readFileSync(args[1]), createPublicKey(readFileSync(args[0])), signature) ? 0 : 1);
  }
  default:
    fail('usage: keygen <dir> | public <private.pem> | sign <private.pem> <file> | verify <public.pem> <file> <sig>');
}
