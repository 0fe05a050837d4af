// Error tracking scenarios: the same errors captured through posthog-node and posthog-sdk; the
// harness compares the `$exception` events the server received (`$exception_list` with its
// frames, module names, in-app flags and context lines, `$exception_level`, the caller's
// properties). Each capture has its own distinct id, so the events pair up by id.
//
// The one frame that cannot be the same is the SDK's own: a value that is not an Error gets
// the stack of an Error made inside `captureException`, whose first frame is the package's
// file. `beforeSend` drops that frame in both packages; every other frame is the scenario's
// or Node's and must be equal.
import { call } from './lib/encode.mjs'

const OWN_FRAME = /^PostHog\.captureException(Immediate)?$/

function withoutOwnFrame(event) {
  for (const entry of event?.properties?.$exception_list ?? []) {
    const frames = entry.stacktrace?.frames
    if (Array.isArray(frames)) entry.stacktrace.frames = frames.filter((f) => !OWN_FRAME.test(f.function))
  }
  return event
}

const base = (srv, extra = {}) => ({
  host: srv.url,
  flushAt: 100,
  flushInterval: 60_000,
  fetchRetryCount: 0,
  before_send: withoutOwnFrame,
  ...extra,
})

class ValidationError extends Error {
  constructor(message, options) {
    super(message, options)
    this.name = 'ValidationError'
  }
}

function parseConfig(text) {
  if (!text.startsWith('{')) throw new SyntaxError(`not a config: ${text}`)
  return JSON.parse(text)
}

function loadSettings(text) {
  try {
    return parseConfig(text)
  } catch (e) {
    throw new ValidationError('settings could not be loaded', { cause: e })
  }
}

function caught(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  return undefined
}

class Weird {
  constructor() {
    this.code = 7
    this.detail = 'x'
  }
}

/** A turn of the event loop (autocapture defers to the next one). */
const turn = () => new Promise((resolve) => setImmediate(resolve))

export const exceptionScenarios = {
  capture_exception_errors: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const chained = caught(() => loadSettings('oops'))
      const agg = new AggregateError([new RangeError('first'), caught(() => parseConfig('x'))], 'several failed')
      const cyclic = new Error('a')
      cyclic.cause = new TypeError('b', { cause: cyclic })
      const withStringCause = new Error('outer', { cause: 'the reason' })
      const r = {
        chained: await call(() => client.captureException(chained, 'exc-chained', { area: 'settings' })),
        agg: await call(() => client.captureException(agg, 'exc-aggregate')),
        cyclic: await call(() => client.captureException(cyclic, 'exc-cyclic')),
        stringCause: await call(() => client.captureException(withStringCause, 'exc-string-cause')),
        plainError: await call(() => client.captureException(new Error('plain'), 'exc-plain', { $exception_level: 'warning' })),
        personless: await call(() => client.captureException(new TypeError('no person'))),
      }
      r.flush = await call(() => client.flush())
      return r
    },
  },
  capture_exception_non_errors: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const values = {
        string: 'something broke',
        typedString: 'TypeError: x is not a function',
        uncaughtString: 'Uncaught RangeError: too far',
        number: 404,
        nullValue: null,
        undefinedValue: undefined,
        boolean: false,
        object: { zeta: 1, alpha: 2, code: 'E_FAIL' },
        emptyObject: {},
        namedObject: { name: 'QuotaError', message: 'over quota' },
        messageObject: { message: 'only a message' },
        classInstance: new Weird(),
        wrapper: { error: new Error('wrapped error') },
        event: new Event('custom-event'),
      }
      const r = {}
      for (const [name, value] of Object.entries(values)) {
        r[name] = await call(() => client.captureException(value, `exc-${name}`))
      }
      r.flush = await call(() => client.flush())
      return r
    },
  },
  capture_exception_immediate: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const immediate = await call(() => client.captureExceptionImmediate(new Error('right now'), 'exc-immediate', { k: 1 }))
      // How the previous await resumed (fetch vs the native pool) shows in an async stack:
      // continue from the same kind of turn in both packages.
      await turn()
      const nonError = await call(() => client.captureExceptionImmediate('immediate text', 'exc-immediate-text'))
      return { immediate, nonError }
    },
  },
  exception_autocapture_handled_by_the_app: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv, { enableExceptionAutocapture: true }))
      const seen = []
      const onUncaught = (e) => seen.push(e.message)
      process.on('uncaughtException', onUncaught)
      try {
        await new Promise((resolve) => {
          setTimeout(() => {
            setImmediate(resolve)
            throw new ValidationError('thrown in a timer')
          }, 1)
        })
        for (let i = 0; i < 3; i++) await turn()
      } finally {
        process.removeListener('uncaughtException', onUncaught)
      }
      const flush = await call(() => client.flush())
      return { seen, flush }
    },
  },
}
