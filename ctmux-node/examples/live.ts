// Live output and events, typed: follow a pane's output with `for await`, wait for events
// with a timeout, read the tail and the daemon status. Type-checked by `npm run typecheck`.
import { IsolatedServer, type CtmuxEvent, type StreamLine } from 'ctmux'

async function main(): Promise<void> {
  const server = await IsolatedServer.start()
  try {
    const client = server.client()
    const session = await client.sessionCreate('live')
    const pane = await session.pane(0)
    const stream = await pane.stream()
    const events = await client.subscribe({ session: 'live', kinds: ['command_finished'] })
    await pane.exec('echo one; echo two')
    const seen: StreamLine[] = []
    for await (const line of stream) {
      seen.push(line)
      if (line.text === 'two') break
    }
    const finished: CtmuxEvent | null = await events.next(30_000)
    console.log(seen.map((l) => `${l.seq} ${l.text}`).join('\n'))
    console.log(`${finished?.kind} exit ${String(finished?.exit_code)}`)
    await pane.run('true', 30)
    for await (const event of events) {
      console.log(`${event.kind} at ${typeof event.time_ms}`) // command_finished at number
      break // closes the subscription
    }
    console.log((await pane.tail(1)).length, (await client.daemonStatus()).running)
  } finally {
    await server.close()
  }
}

void main()
