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
  assert.deepEqual(await client.sessionList(), [])
})

test('bad names elsewhere', async (t) => {
  const { client } = await isolated(t)
  await client.sessionCreate('keep')
  for (const name of ['', 'a:b', 'nl\nx']) {
    await assert.rejects(client.sessionKill(name), { code: 'InvalidInput' })
    await assert.rejects(client.paneRun(name, 0, 'true', 5), { code: 'InvalidInput' })
    await assert.rejects(client.paneCapture(name, 0), { code: 'InvalidInput' })
  }
  assert.deepEqual((await client.sessionList()).map((s) => s.name), ['keep'])
})

test('bad pane references', async (t) => {
  const { client, session } = await withSession(t)
  for (const pane of [-1, 1.5, NaN, '', '%', '%x', 'bad label!', 'a\nb']) {
    await assert.rejects(client.paneRun(session, pane, 'true', 5), (err) => {
      assert.ok(['InvalidInput', 'NotFound'].includes(err.code), `${JSON.stringify(pane)}: ${err.code}`)
      return true
    })
  }
  assert.equal((await client.paneRun(session, 0, 'echo fine', TIMEOUT)).output, 'fine\n')
})

test('bad timeouts, lines and sizes', async (t) => {
  const { client, session, tmp } = await withSession(t)
  for (const timeout of [-1, NaN, Infinity]) {
    await assert.rejects(client.paneRun(session, 0, 'true', timeout), { code: 'InvalidInput' })
  }
  for (const lines of [-1, 1.5, 2 ** 40]) {
    await assert.rejects(client.paneCapture(session, 0, lines), { code: 'InvalidInput' })
  }
  for (const size of [{ width: 0, height: 10 }, { width: -1, height: 10 }, { width: 70000, height: 10 },
    { width: 10.5, height: 10 }, { width: 100 }, { height: 30 }]) {
    await assert.rejects(client.sessionCreate('sized', size), { code: 'InvalidInput' }, JSON.stringify(size))
  }
  const file = join(tmp, 'f')
  writeFileSync(file, 'x')
  await assert.rejects(client.sessionCreate('s', { cwd: file }), { code: 'InvalidInput' })
  assert.deepEqual((await client.sessionList()).map((s) => s.name), [session])
})

test('wrong JS types are TypeErrors or refused', async (t) => {
  const { client, session } = await withSession(t)
  assert.throws(() => client.sessionCreate(42))
  assert.throws(() => client.paneRun(session, {}, 'true'))
  assert.throws(() => client.paneRun(session, 0, null))
})
