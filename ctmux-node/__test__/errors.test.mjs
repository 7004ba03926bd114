import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ctmux, isolated } from './helpers.mjs'

// [code, how to trigger it for real]
const TRIGGERS = [
  ['NotFound', ({ client }) => client.sessionKill('nope')],
  ['NotFound', async ({ client }) => (await client.sessionCreate('p')).pane(7)],
  ['NotFound', ({ client, tmp }) => client.sessionCreate('c', { cwd: join(tmp, 'missing') })],
  ['AlreadyExists', async ({ client }) => {
    await client.sessionCreate('dup')
    return client.sessionCreate('dup')
  }],
  ['InvalidInput', ({ client }) => client.sessionCreate('bad:name')],
  ['Timeout', async ({ client }) => {
    const pane = await (await client.sessionCreate('slow')).pane(0)
    return pane.run('echo started; sleep 30', 0.5)
  }],
  ['Busy', async ({ client }) => {
    const pane = await (await client.sessionCreate('busy')).pane(0)
    await pane.exec('sleep 30')
    return pane.exec('true')
  }],
  ['Tmux', async ({ client }) => {
    // tmux itself refuses to split a tiny window again and again.
    const session = await client.sessionCreate('tiny', { width: 20, height: 5 })
    for (let i = 0; i < 20; i++) await session.paneCreate()
  }],
  ['ServerUnavailable', async ({ server }) => {
    await server.close()
    return server.client()
  }],
  ['PermissionDenied', async ({ server, tmp }) => {
    mkdirSync(join(tmp, 'real'))
    symlinkSync(join(tmp, 'real'), join(tmp, 'link'))
    return server.client(join(tmp, 'link'))
  }],
  ['Io', async ({ server, tmp }) => {
    writeFileSync(join(tmp, 'file'), 'x')
    return server.client(join(tmp, 'file', 'state'))
  }]
]

for (const [i, [code, trigger]] of TRIGGERS.entries()) {
  test(`error kind ${code} (#${i})`, async (t) => {
    const env = await isolated(t)
    await assert.rejects(async () => trigger(env), (err) => {
      assert.ok(err instanceof Error, `not an Error: ${err}`)
      assert.equal(err.code, code)
      assert.ok(err.message.length > 0)
      return true
    })
  })
}

test('timeout carries partial output', async (t) => {
  const { client } = await isolated(t)
  const pane = await (await client.sessionCreate('slow')).pane(0)
  await assert.rejects(pane.run('echo started; sleep 30', 0.5), (err) => {
    assert.equal(err.code, 'Timeout')
    assert.equal(typeof err.partialOutput, 'string')
    assert.ok(err.partialOutput.includes('started'), JSON.stringify(err.partialOutput))
    return true
  })
})

test('sync errors are thrown with a code', async (t) => {
  const { tmp } = await isolated(t)
  assert.throws(() => new ctmux.Client({ socketName: 'a/b', stateDir: tmp }), { code: 'InvalidInput' })
  assert.throws(
    () => new ctmux.Client({ socketName: 'x', socketPath: join(tmp, 's'), stateDir: tmp }),
    { code: 'InvalidInput' }
  )
})
