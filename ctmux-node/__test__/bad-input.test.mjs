import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isolated, withSession, TIMEOUT } from './helpers.mjs'

const BAD_NAMES = ['', 'a:b', 'a.b', '-flag', '$1', '%1', '=x', 'tab\there', 'nl\nx', 'x'.repeat(201)]

test('bad session names are refused and nothing is created', async (t) => {
  const { client } = await isolated(t)
  for (const name of BAD_NAMES) {
    await assert.rejects(client.sessionCreate(name), { code: 'InvalidInput' }, JSON.stringify(name))
  }
  assert.deepEqual(await client.sessions(), [])
})

test('bad names elsewhere', async (t) => {
  const { client } = await isolated(t)
  await client.sessionCreate('keep')
  for (const name of ['', 'a:b', 'nl\nx']) {
    await assert.rejects(client.sessionKill(name), { code: 'InvalidInput' })
    await assert.rejects(client.session(name), { code: 'InvalidInput' })
  }
  assert.deepEqual((await client.sessions()).map((s) => s.name), ['keep'])
})

test('bad pane references and labels', async (t) => {
  const { session, pane } = await withSession(t)
  for (const ref of [-1, 1.5, NaN, '', '%', '%x', 'a\nb', 2 ** 40]) {
    await assert.rejects(session.pane(ref), (err) => {
      assert.ok(['InvalidInput', 'NotFound'].includes(err.code), `${JSON.stringify(ref)}: ${err.code}`)
      return true
    })
  }
  for (const label of ['', '12', '%x', 'a\nb', 'x'.repeat(201)]) {
    await assert.rejects(session.paneCreate(label), { code: 'InvalidInput' }, JSON.stringify(label))
    await assert.rejects(session.paneFind(label), { code: 'InvalidInput' }, JSON.stringify(label))
    await assert.rejects(pane.setLabel(label), { code: 'InvalidInput' }, JSON.stringify(label))
  }
  assert.equal(await session.paneCount(), 1)
  assert.equal((await pane.run('echo fine', TIMEOUT)).output, 'fine\n')
})

test('bad timeouts, lines and sizes', async (t) => {
  const { client, pane, tmp } = await withSession(t)
  for (const timeout of [-1, NaN, Infinity]) {
    await assert.rejects(pane.run('true', timeout), { code: 'InvalidInput' })
    await assert.rejects(pane.waitFor('x', timeout), { code: 'InvalidInput' })
    await assert.rejects(pane.wait(timeout), { code: 'InvalidInput' })
  }
  for (const lines of [-1, 1.5, 2 ** 40]) {
    await assert.rejects(pane.capture(lines), { code: 'InvalidInput' })
    await assert.rejects(pane.hasPattern('x', lines), { code: 'InvalidInput' })
  }
  for (const size of [{ width: 0, height: 10 }, { width: -1, height: 10 }, { width: 70000, height: 10 },
    { width: 10.5, height: 10 }, { width: 100 }, { height: 30 }]) {
    await assert.rejects(client.sessionCreate('sized', size), { code: 'InvalidInput' }, JSON.stringify(size))
  }
  const file = join(tmp, 'f')
  writeFileSync(file, 'x')
  await assert.rejects(client.sessionCreate('s', { cwd: file }), { code: 'InvalidInput' })
  assert.deepEqual((await client.sessions()).map((s) => s.name), ['t'])
})

test('wrong JS types throw at the call', async (t) => {
  const { client, session, pane } = await withSession(t)
  assert.throws(() => client.sessionCreate(42))
  assert.throws(() => session.pane({}))
  assert.throws(() => pane.run(null))
  assert.throws(() => pane.sendKeys([1]))
})

test('handles of a killed session are NotFound', async (t) => {
  const { client } = await isolated(t)
  await client.sessionCreate('keep') // the server stays up
  const session = await client.sessionCreate('short')
  const pane = await session.pane(0)
  await session.kill()
  for (const call of [() => session.panes(), () => session.paneCount(), () => session.kill(),
    () => pane.info(), () => pane.capture(), () => pane.run('true')]) {
    await assert.rejects(call(), { code: 'NotFound' })
  }
})
