import { Transform, type Readable, type TransformCallback } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate, createZstdDecompress } from 'node:zlib'

/** Content-Encoding values a request body may carry, each with its streaming decoder. */
const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
  zstd: createZstdDecompress
}

/** The one coding a Content-Encoding header names, lower-cased; identity (or nothing) is undefined. */
export function requestCodings (header: string | undefined): string[] {
  if (header === undefined) return []
  return header.split(',').map((coding) => coding.trim().toLowerCase()).filter((coding) => coding !== '' && coding !== 'identity')
}

export function isSupportedCoding (coding: string): boolean {
  return Object.hasOwn(DECODERS, coding)
}

/** A decoded body as Fastify reads it: `receivedEncodedLength` counts the bytes that came over the wire. */
export type DecodedBody = Readable & { receivedEncodedLength: number }

/**
 * Decodes `source` as it streams in. Once the decoded bytes pass `limit` the decoder is stopped
 * and the stream fails with `tooLarge()`, so a small compressed bomb costs at most `limit` bytes
 * of work; a corrupt body fails with `corrupt()`.
 */
export function decodeBody (source: Readable, coding: string, limit: number, tooLarge: () => Error, corrupt: () => Error): DecodedBody {
  const decoder = DECODERS[coding]()
  let decoded = 0
  const counter = new Transform({
    transform (chunk: Buffer, _encoding, done: TransformCallback) {
      decoded += chunk.length
      if (decoded > limit) {
        done(tooLarge())
        source.unpipe(decoder)
        decoder.destroy()
        return
      }
      done(null, chunk)
    }
  })
  const body = counter as unknown as DecodedBody
  body.receivedEncodedLength = 0
  source.on('data', (chunk: Buffer) => { body.receivedEncodedLength += chunk.length })
  decoder.on('error', () => { counter.destroy(corrupt()) })
  source.pipe(decoder).pipe(counter)
  return body
}
