/**
 * Detects a dead peer on a connection that looks open: a half-open TCP connection (a NAT that
 * forgot the mapping, a gate host that vanished) raises no error for minutes. Every interval
 * the connection is pinged; if neither a pong nor any message came back since the previous
 * ping, the peer is declared dead. Detection takes between one and two intervals.
 *
 * Written against plain setTimeout so that unit tests drive it with fake timers.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined
  private awaiting = false
  private running = false

  constructor(
    private readonly options: {
      intervalMs: number
      ping: () => void
      onDead: () => void
    }
  ) {}

  start(): void {
    if (this.running) return
    this.running = true
    this.awaiting = false
    this.schedule()
  }

  /** A pong, or any frame from the peer: it is alive. */
  alive(): void {
    this.awaiting = false
  }

  stop(): void {
    this.running = false
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.tick(), this.options.intervalMs)
    this.timer.unref?.()
  }

  private tick(): void {
    if (!this.running) return
    if (this.awaiting) {
      this.stop()
      this.options.onDead()
      return
    }
    this.awaiting = true
    try {
      this.options.ping()
    } catch {
      // A ping on a closing socket throws; the close event handles that connection.
    }
    this.schedule()
  }
}
