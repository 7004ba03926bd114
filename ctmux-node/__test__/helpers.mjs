// Test helpers: each test gets its own isolated tmux server, closed when the test ends.
// Nothing here ever touches the user's default tmux server.
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
export const ctmux = require('../index.js')

/** Generous bound for a command, so a broken build cannot hang the suite. */
export const TIMEOUT = 30

/**
 * A fresh IsolatedServer and a client of it (state dir in a temp dir) for test `t`; both are
 * cleaned up in `t.after`, whatever the test did. A failed cleanup is reported, never thrown,
 * so it cannot mask the test's own failure.
 */
export async function isolated (t) {
  const server = await ctmux.IsolatedServer.start()
  const tmp = mkdtempSync(join(tmpdir(), 'ctmux-node-test-'))
  t.after(() => {
    try {
      server.close()
    } catch (err) {
      t.diagnostic(`closing ${server.socketPath} failed: ${err}`)
    }
    rmSync(tmp, { recursive: true, force: true })
  })
  const client = server.client(join(tmp, 'state'))
  return { server, client, tmp }
}

/** Like `isolated`, plus a session named `t` created on it. */
export async function withSession (t) {
  const env = await isolated(t)
  await env.client.sessionCreate('t')
  return { ...env, session: 't' }
}
