// Test helpers: each test gets its own isolated tmux server, closed when the test ends.
// Nothing here ever touches the user's default tmux server.
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
/** The package, loaded by its name (package.json "exports", CommonJS entry). */
export const ctmux = require('ctmux')

/** Generous bound for any wait, so a broken build fails instead of hanging the suite. */
export const TIMEOUT = 30

/**
 * A fresh IsolatedServer, a client of it (state dir inside the server's temp dir) and a
 * scratch dir, for test `t`; all are cleaned up in `t.after`, whatever the test did. A failed
 * cleanup is reported, never thrown, so it cannot mask the test's own failure.
 */
export async function isolated (t) {
  const server = await ctmux.IsolatedServer.start()
  const tmp = mkdtempSync(join(tmpdir(), 'ctmux-node-test-'))
  t.after(async () => {
    try {
      await server.close()
    } catch (err) {
      t.diagnostic(`closing ${server.socketPath} failed: ${err}`)
    }
    rmSync(tmp, { recursive: true, force: true })
  })
  return { server, client: server.client(), tmp }
}

/** Like `isolated`, plus a 120x40 session named `t` and its pane 0. */
export async function withSession (t) {
  const env = await isolated(t)
  const session = await env.client.sessionCreate('t', { width: 120, height: 40 })
  const pane = await session.pane(0)
  return { ...env, session, pane }
}

/** Wait (bounded) until `pane.isRunning()` is `want`. */
export async function waitRunning (pane, want = true) {
  const deadline = Date.now() + TIMEOUT * 1000
  while (await pane.isRunning() !== want) {
    if (Date.now() > deadline) throw new Error(`pane never became running=${want}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * Wait (bounded) until the pane's foreground job runs `program`. `isRunning()` turns true as
 * soon as the shell has forked the job, before the child has exec'd the program; a signal
 * sent in that window can be lost, so tests that signal a job wait for the program itself.
 */
export async function waitJob (pane, program) {
  const deadline = Date.now() + TIMEOUT * 1000
  while (!((await pane.status()).foregroundCommand ?? '').startsWith(program)) {
    if (Date.now() > deadline) throw new Error(`pane never ran ${program}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
