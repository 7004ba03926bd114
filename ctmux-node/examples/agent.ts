// An agent-style loop over ctmux, typed: start a dev server in a pane, wait for its ready
// line, run checks and read their real exit codes, stop the server with Ctrl-C (SIGINT).
// Type-checked by `npm run typecheck` (tsc --noEmit) against the generated index.d.ts.
import { IsolatedServer, type ExecResult, type Pane, type Session } from 'ctmux'

/** A ctmux rejection: an `Error` whose `code` is the core's ErrorKind name. */
interface CtmuxError extends Error {
  code: string
  partialOutput?: string
}

function isCtmuxError(err: unknown): err is CtmuxError {
  return err instanceof Error && typeof (err as Partial<CtmuxError>).code === 'string'
}

/** Start `command` in a new pane labelled `label` and wait until `ready` matches a line. */
async function startServer(session: Session, label: string, command: string, ready: string): Promise<{ pane: Pane, line: string }> {
  const pane = await session.paneCreate(label)
  await pane.exec(command) // resolves as soon as the command is typed
  const match = await pane.waitFor(ready, 30)
  return { pane, line: match.line }
}

/** Run each check in `shell`, never longer than `seconds` each; interrupted ones count as failed. */
async function runChecks(shell: Pane, checks: string[], seconds: number): Promise<Map<string, ExecResult | CtmuxError>> {
  const results = new Map<string, ExecResult | CtmuxError>()
  for (const check of checks) {
    try {
      results.set(check, await shell.runOrInterrupt(check, seconds))
    } catch (err) {
      if (!isCtmuxError(err) || err.code !== 'Timeout') throw err
      results.set(check, err) // err.partialOutput holds what it printed
    }
  }
  return results
}

/** The whole loop; resolves with the number of failed checks. */
async function main(): Promise<number> {
  const server = await IsolatedServer.start() // a private tmux server; `new Client()` is your own
  try {
    const client = server.client()
    const session = await client.sessionCreate('agent', { width: 120, height: 40 })
    const dev = await startServer(session, 'dev-server', 'python3 -m http.server 0 --bind 127.0.0.1', String.raw`Serving HTTP on \S+ port \d+`)
    const port = Number(/port (\d+)/.exec(dev.line)?.[1])
    await dev.pane.metadataSet('port', String(port))

    const shell = await session.pane(0)
    const results = await runChecks(shell, [
      `python3 -c 'import sys, urllib.request as r; r.urlopen(sys.argv[1])' http://127.0.0.1:${port}/`,
      'test -d /tmp',
      'sleep 60'
    ], 3)
    let failed = 0
    for (const [check, result] of results) {
      const status = isCtmuxError(result) ? `interrupted (${result.code})` : `exit ${result.exitCode}`
      if (isCtmuxError(result) || result.exitCode !== 0) failed += 1
      console.log(`${status}: ${check}`)
    }

    await dev.pane.signal('SIGINT') // to the server (the pane's foreground job), not the shell
    const stopped = await dev.pane.wait(30)
    console.log('server exit code:', stopped?.exitCode ?? null)
    await session.kill()
    return failed
  } finally {
    await server.close()
  }
}

main().then((failed) => {
  console.log(`${failed} check(s) failed`) // 1: `sleep 60` was interrupted after 3 s
})
