import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ctmux, withSession, TIMEOUT } from './helpers.mjs'

test('pane by index, id and label', async (t) => {
  const { session, pane: first } = await withSession(t)
  assert.ok(first instanceof ctmux.Pane)
  assert.match(first.id, /^%\d+$/)
  const web = await session.paneCreate('web')
  assert.notEqual(web.id, first.id)
  assert.equal((await session.pane(first.id)).id, first.id)
  assert.equal((await session.pane('0')).id, first.id)
  assert.equal((await session.pane('web')).id, web.id)
  assert.equal((await session.paneFind('web')).id, web.id)
  assert.equal(await web.label(), 'web')
  assert.equal(await first.label(), null)
  assert.equal(web.session.id, session.id)
})

test('list and count', async (t) => {
  const { session } = await withSession(t)
  await session.paneCreate()
  await session.paneCreate('db')
  const panes = await session.panes()
  assert.equal(panes.length, 3)
  assert.equal(await session.paneCount(), 3)
  assert.equal(panes.filter((p) => p.label === 'db').length, 1)
  const info = panes[0]
  assert.match(info.paneId, /^%\d+$/)
  assert.match(info.windowId, /^@\d+$/)
  assert.ok(info.pid > 0 && info.width > 0 && info.height > 0)
  assert.equal(info.dead, false)
  assert.equal(info.running, false)
})

test('layout, and a bad one is refused without leaving a pane', async (t) => {
  const { session } = await withSession(t)
  const side = await session.paneCreateWithLayout('side', 'main-vertical')
  assert.equal((await session.paneFind('side')).id, side.id)
  await assert.rejects(session.paneCreateWithLayout('other', 'no-such-layout'), { code: 'InvalidInput' })
  assert.equal(await session.paneCount(), 2)
})

test('info, status, isRunning', async (t) => {
  const { pane } = await withSession(t)
  assert.equal((await pane.info()).paneId, pane.id)
  assert.equal(await pane.isRunning(), false)
  await pane.run('true', TIMEOUT)
  const status = await pane.status()
  assert.equal(status.info.paneId, pane.id)
  assert.equal(status.execFinished, true)
  assert.equal(status.exitCode, 0)
})

test('labels: set, and a duplicate is AlreadyExists', async (t) => {
  const { session, pane } = await withSession(t)
  const other = await session.paneCreate()
  await other.setLabel('renamed')
  assert.equal((await session.paneFind('renamed')).id, other.id)
  await assert.rejects(session.paneCreate('renamed'), { code: 'AlreadyExists' })
  await assert.rejects(pane.setLabel('renamed'), { code: 'AlreadyExists' })
  assert.equal(await session.paneCount(), 2)
})

test('kill a pane; its handle is then NotFound', async (t) => {
  const { session } = await withSession(t)
  const extra = await session.paneCreate('extra')
  await extra.kill()
  assert.equal(await session.paneCount(), 1)
  await assert.rejects(extra.info(), { code: 'NotFound' })
  await assert.rejects(session.paneFind('extra'), { code: 'NotFound' })
})
