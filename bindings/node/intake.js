'use strict'
// The fast capture path. A plain `capture` (no beforeSend, flags, uuid or timestamp text) is
// recorded as one line of JSON text, serialised by V8, with its uuid and timestamp fixed now;
// lines go to the native intake in chunks (one crossing per CHUNK captures, or at the end of
// the current task), where the core builds and queues them on its own thread, in order. The
// queue bound, drop counting and ordering rules stay the core's.

const { randomFillSync } = require('node:crypto')

/** Captures per crossing. */
const CHUNK = 256

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
const POOL = new Uint8Array(10 * 1024)
let pos = POOL.length

/** A uuid v7 for the time `ms` (48-bit milliseconds, version 7, RFC 4122 variant, 74 random bits). */
function uuidv7(ms) {
  if (pos + 10 > POOL.length) {
    randomFillSync(POOL)
    pos = 0
  }
  const r = POOL
  const i = pos
  pos += 10
  const t = ms.toString(16).padStart(12, '0')
  return (
    t.slice(0, 8) +
    '-' +
    t.slice(8) +
    '-7' +
    HEX[r[i] & 0x0f][1] +
    HEX[r[i + 1]] +
    '-' +
    HEX[(r[i + 2] & 0x3f) | 0x80] +
    HEX[r[i + 3]] +
    '-' +
    HEX[r[i + 4]] +
    HEX[r[i + 5]] +
    HEX[r[i + 6]] +
    HEX[r[i + 7]] +
    HEX[r[i + 8]] +
    HEX[r[i + 9]]
  )
}

/** Recorded captures waiting for the next hand-over to the native client. */
class Recorder {
  #native
  #lines = []
  #scheduled = false
  #onMicrotask = () => {
    this.#scheduled = false
    this.handOver()
  }

  constructor(nativeClient) {
    this.#native = nativeClient
  }

  /** Records one line; hands the chunk over when it is full, or at the end of this task. */
  push(line) {
    const n = this.#lines.push(line)
    if (n >= CHUNK) this.handOver()
    else if (!this.#scheduled) {
      this.#scheduled = true
      queueMicrotask(this.#onMicrotask)
    }
  }

  /** Hands every recorded line to the native client (call before anything that must see them). */
  handOver() {
    if (this.#lines.length === 0) return
    const text = this.#lines.join('\n')
    this.#lines = []
    this.#native.captureLines(text)
  }
}

module.exports = { Recorder, uuidv7, CHUNK }
