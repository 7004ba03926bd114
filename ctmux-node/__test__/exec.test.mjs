import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ctmux, isolated, withSession, TIMEOUT } from './helpers.mjs'

test('exports', () => {
  assert.equal(typeof ctmux.IsolatedServer.start, 'function')
  assert.equal(typeof ctmux.Client, 'function')
  assert.match(ctmux.version(), /^\d+\.\d+\.\d+/)
})

for (const code of [0, 1, 3, 42, 255]) {
  test(`exit code ${code} is real`, async (t) => {
    const { client, session } = await withSession(t)
    const result = await client.paneRun(session, 0, `sh -c 'exit ${code}'`, TIMEOUT)
    assert.equal(result.exitCode, code)
    assert.equal(result.output, '')
  })
}

test('output is the command\'s own', async (t) => {
  const { client, session } = await withSession(t)
  const result = await client.paneRun(session, 0, 'echo hello; echo world', TIMEOUT)
  assert.deepEqual({ exitCode: result.exitCode, output: result.output }, { exitCode: 0, output: 'hello\nworld\n' })
  assert.equal(typeof result.duration, 'number')
  assert.ok(result.duration >= 0)
})

test('awkward text arrives intact', async (t) => {
  const { client, session } = await withSession(t)
  const text = 'quotes \' " $HOME `x` \\ unicode \u00e9\u2603'
  const result = await client.paneRun(session, '0', `cat <<'EOF'\n${text}\nEOF`, TIMEOUT)
  assert.equal(result.exitCode, 0)
  assert.equal(result.output, text + '\n')
})

test('pane by id, and capture', async (t) => {
  const { client, session } = await withSession(t)
  const id = (await client.paneRun(session, 0, 'echo $TMUX_PANE', TIMEOUT)).output.trim()
  assert.match(id, /^%\d+$/)
  assert.equal((await client.paneRun(session, id, 'echo captured-marker', TIMEOUT)).output, 'captured-marker\n')
  assert.ok((await client.paneCapture(session, id)).includes('captured-marker'))
  assert.ok((await client.paneCapture(session, 0, 50)).includes('captured-marker'))
})

test('sessions: create, list, kill', async (t) => {
  const { client } = await isolated(t)
  assert.deepEqual(await client.sessionList(), [])
  const created = await client.sessionCreate('alpha')
  assert.equal(created.name, 'alpha')
  assert.match(created.id, /^\$\d+$/)
  await client.sessionCreate('beta', { width: 100, height: 30 })
  const sessions = await client.sessionList()
  assert.deepEqual(sessions.map((s) => s.name).sort(), ['alpha', 'beta'])
  const alpha = sessions.find((s) => s.name === 'alpha')
  assert.equal(alpha.id, created.id)
  assert.equal(alpha.windows, 1)
  assert.equal(alpha.panes, 1)
  assert.equal(alpha.attached, 0)
  assert.equal(typeof alpha.created, 'number')
  await client.sessionKill('alpha')
  assert.deepEqual((await client.sessionList()).map((s) => s.name), ['beta'])
})

test('concurrent runs in different sessions', async (t) => {
  const { client } = await isolated(t)
  await Promise.all(['a', 'b', 'c'].map((n) => client.sessionCreate(n)))
  const results = await Promise.all(
    ['a', 'b', 'c'].map((n) => client.paneRun(n, 0, `echo ${n}`, TIMEOUT))
  )
  assert.deepEqual(results.map((r) => r.output), ['a\n', 'b\n', 'c\n'])
})

test('a second client by socket path sees the same server', async (t) => {
  const { server, client, tmp } = await isolated(t)
  await client.sessionCreate('shared')
  const other = new ctmux.Client({ socketPath: server.socketPath, stateDir: `${tmp}/other` })
  assert.deepEqual((await other.sessionList()).map((s) => s.name), ['shared'])
})

test('close removes the server and is idempotent', async () => {
  const server = await ctmux.IsolatedServer.start()
  try {
    assert.match(server.socketPath, /ctmux-srv-/)
    await server.client().sessionCreate('x')
    assert.equal(server.closed, false)
  } finally {
    server.close()
  }
  assert.equal(server.closed, true)
  server.close()
  assert.throws(() => server.client(), { code: 'ServerUnavailable' })
})
