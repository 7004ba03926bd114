import { test } from 'node:test'
import assert from 'node:assert/strict'
import { realpathSync } from 'node:fs'
import { ctmux, isolated, TIMEOUT } from './helpers.mjs'

test('exports', () => {
  for (const name of ['Client', 'IsolatedServer', 'Session', 'Pane', 'ExecHandle']) {
    assert.equal(typeof ctmux[name], 'function', name)
  }
  assert.match(ctmux.version(), /^\d+\.\d+\.\d+/)
})

test('sessions: create, list, look up, kill', async (t) => {
  const { client } = await isolated(t)
  assert.deepEqual(await client.sessions(), [])
  const alpha = await client.sessionCreate('alpha')
  assert.ok(alpha instanceof ctmux.Session)
  assert.equal(alpha.name, 'alpha')
  assert.match(alpha.id, /^\$\d+$/)
  await client.sessionCreate('beta', { width: 100, height: 30 })
  const sessions = await client.sessions()
  assert.deepEqual(sessions.map((s) => s.name).sort(), ['alpha', 'beta'])
  const info = sessions.find((s) => s.name === 'alpha')
  assert.deepEqual([info.id, info.windows, info.panes, info.attached], [alpha.id, 1, 1, 0])
  assert.equal(typeof info.created, 'number')
  const found = await client.session('alpha')
  assert.equal(found.id, alpha.id)
  assert.ok(found.client instanceof ctmux.Client)
  await client.sessionKill('alpha')
  await (await client.session('beta')).kill()
  assert.deepEqual(await client.sessions(), [])
})

test('a missing session is NotFound (exact names, never a prefix)', async (t) => {
  const { client } = await isolated(t)
  await client.sessionCreate('apiary')
  await assert.rejects(client.session('api'), { code: 'NotFound' })
  await assert.rejects(client.sessionKill('api'), { code: 'NotFound' })
})

test('a duplicate name is AlreadyExists', async (t) => {
  const { client } = await isolated(t)
  await client.sessionCreate('dup')
  await assert.rejects(client.sessionCreate('dup'), { code: 'AlreadyExists' })
})

test('cwd of the first pane', async (t) => {
  const { client, tmp } = await isolated(t)
  const session = await client.sessionCreate('here', { cwd: tmp })
  const result = await (await session.pane(0)).run('pwd', TIMEOUT)
  assert.equal(realpathSync(result.output.trim()), realpathSync(tmp))
})

test('a second client by socket path sees the same server; stateSync', async (t) => {
  const { server, client, tmp } = await isolated(t)
  const session = await client.sessionCreate('shared')
  await (await session.pane(0)).run('true', TIMEOUT)
  const other = new ctmux.Client({ socketPath: server.socketPath, stateDir: `${tmp}/other` })
  assert.deepEqual((await other.sessions()).map((s) => s.name), ['shared'])
  const report = await client.stateSync()
  assert.deepEqual([report.sessionCount, report.paneCount], [1, 1])
  assert.ok(Array.isArray(report.dropped) && Array.isArray(report.repaired))
})

test('close removes the server and is idempotent', async () => {
  const server = await ctmux.IsolatedServer.start()
  try {
    assert.match(server.socketPath, /ctmux-srv-/)
    await server.client().sessionCreate('x')
    assert.equal(server.closed, false)
  } finally {
    await server.close()
  }
  assert.equal(server.closed, true)
  await server.close()
  assert.throws(() => server.client(), { code: 'ServerUnavailable' })
})

test('handles have no public constructor', () => {
  assert.throws(() => new ctmux.IsolatedServer())
  assert.throws(() => new ctmux.Session())
  assert.throws(() => new ctmux.Pane())
})

test('backend choice: process or control; a bad name is InvalidInput', async (t) => {
  const { server, tmp } = await isolated(t)
  for (const backend of ['process', 'control']) {
    const client = new ctmux.Client({ socketPath: server.socketPath, stateDir: tmp, backend })
    const session = await client.sessionCreate(`b-${backend}`)
    const pane = await session.pane('0')
    const r = await pane.run('echo via; (exit 5)', TIMEOUT)
    assert.deepEqual([r.exitCode, r.output], [5, 'via\n'])
  }
  assert.throws(
    () => new ctmux.Client({ socketPath: server.socketPath, backend: 'carrier-pigeon' }),
    (err) => err.code === 'InvalidInput'
  )
})

test('readyTimeout: seconds; beats $CTMUX_READY_TIMEOUT, then 30; a bad value is InvalidInput', async (t) => {
  const { server, client: first, tmp } = await isolated(t)
  await first.sessionCreate('keeper') // the server starts with its pinned shell
  const socketPath = server.socketPath
  const saved = process.env.CTMUX_READY_TIMEOUT
  t.after(() => {
    if (saved === undefined) delete process.env.CTMUX_READY_TIMEOUT
    else process.env.CTMUX_READY_TIMEOUT = saved
  })
  delete process.env.CTMUX_READY_TIMEOUT
  assert.equal(new ctmux.Client({ socketPath, stateDir: tmp }).readyTimeout, 30)
  assert.equal(new ctmux.Client({ socketPath, stateDir: tmp, readyTimeout: 45 }).readyTimeout, 45)
  const client = new ctmux.Client({ socketPath, stateDir: tmp, readyTimeout: 2.5 })
  assert.equal(client.readyTimeout, 2.5)
  const pane = await (await client.sessionCreate('rt')).pane('0')
  const r = await pane.run('echo ready', TIMEOUT)
  assert.deepEqual([r.exitCode, r.output], [0, 'ready\n'])
  for (const bad of [0, -1, NaN, Infinity, 86401]) {
    assert.throws(
      () => new ctmux.Client({ socketPath, stateDir: tmp, readyTimeout: bad }),
      (err) => err.code === 'InvalidInput' && /ready timeout/.test(err.message),
      String(bad)
    )
  }
  assert.throws(() => new ctmux.Client({ socketPath, stateDir: tmp, readyTimeout: '45' }))

  process.env.CTMUX_READY_TIMEOUT = '12.5'
  assert.equal(new ctmux.Client({ socketPath, stateDir: tmp }).readyTimeout, 12.5)
  process.env.CTMUX_READY_TIMEOUT = 'abc'
  assert.throws(
    () => new ctmux.Client({ socketPath, stateDir: tmp }),
    (err) => err.code === 'InvalidInput' && /CTMUX_READY_TIMEOUT/.test(err.message)
  )
  // The option wins: the variable is not read then.
  assert.equal(new ctmux.Client({ socketPath, stateDir: tmp, readyTimeout: 45 }).readyTimeout, 45)
})
