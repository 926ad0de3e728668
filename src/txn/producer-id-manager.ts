// Producer ids come from the controller in blocks (Kafka's AllocateProducerIds); this node hands
// them out one by one and asks for the next block when one runs out.

export class ProducerIdManager {
  private next = 0
  private end = 0
  private pending: Promise<void> | null = null

  constructor(private readonly allocateBlock: () => Promise<{ first: number; size: number }>) {}

  async generate(): Promise<number> {
    while (this.next >= this.end) {
      if (!this.pending) {
        this.pending = this.allocateBlock()
          .then(b => {
            this.next = b.first
            this.end = b.first + b.size
          })
          .finally(() => (this.pending = null))
      }
      await this.pending
    }
    return this.next++
  }
}
