import type { ContentPart } from '../../schemas/chat-completion.js'
import type { DocumentBlock, ImageBlock, TextBlock } from '../anthropic/types.js'
import { invalidRequest } from '../errors.js'

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])
const TEXT_FILE_TYPES = new Set(['text/plain', 'text/markdown', 'text/csv', 'text/html', 'text/xml', 'application/json', 'application/xml', 'text/x-markdown'])
const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),/
/**
 * Anthropic refuses a base64 image whose encoded data is longer than 5 MB (the API's documented
 * per-image limit; Claude Code checks the same figure before sending). Refusing it here spares the
 * upstream round trip and bounds the work done on one part.
 */
export const MAX_IMAGE_BASE64_LENGTH = 5 * 1024 * 1024

interface DataUrl { mediaType: string; base64: string }

/** Splits a `data:` URL; only base64 payloads are accepted since that is what the upstream takes. */
export function parseDataUrl (url: string, param: string, maxBase64Length = Infinity): DataUrl {
  const head = DATA_URL.exec(url.slice(0, 256))
  if (!head) throw invalidRequest(`${param} is not a valid data URL`, param, 'invalid_data_url')
  const params = head[2].split(';').filter(Boolean)
  if (!params.includes('base64')) throw invalidRequest(`${param} must be a base64 data URL`, param, 'invalid_data_url')
  const base64 = canonicalBase64(url, head[0].length, maxBase64Length)
  if (base64 === TOO_LARGE) {
    throw invalidRequest(`${param} is larger than the upstream's limit of ${maxBase64Length / (1024 * 1024)} MB of base64 data per image`, param, 'image_too_large')
  }
  if (base64 === INVALID) throw invalidRequest(`${param} holds invalid base64 data`, param, 'invalid_base64')
  return { mediaType: head[1].toLowerCase(), base64 }
}

const INVALID = Symbol('invalid base64')
const TOO_LARGE = Symbol('base64 too large')

/** The characters JavaScript's `\s` matches: clients wrap base64 in any of them. */
function isWhitespace (code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d)
  if (code < 0xa0) return false
  return code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
}

function isBase64Letter (code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2f
}

/**
 * The upstream takes standard, padded base64 only. Line breaks, the URL-safe alphabet and
 * missing padding (all common in clients) are put right rather than refused. One pass over the
 * text into a buffer no larger than the limit: time and memory stay proportional to the part,
 * and an oversized part is given up on as soon as it passes the limit.
 */
function canonicalBase64 (text: string, start: number, maxLength: number): string | typeof INVALID | typeof TOO_LARGE {
  const out = Buffer.allocUnsafe(Math.min(text.length - start, maxLength) + 2)
  let length = 0
  let padding = 0
  for (let index = start; index < text.length; index++) {
    let code = text.charCodeAt(index)
    if (isWhitespace(code)) continue
    if (code === 0x2d) code = 0x2b // '-' → '+'
    else if (code === 0x5f) code = 0x2f // '_' → '/'
    if (code === 0x3d) {
      if (++padding > 2) return INVALID
    } else if (padding > 0 || !isBase64Letter(code)) {
      return INVALID
    }
    if (length >= maxLength) return TOO_LARGE
    out[length++] = code
  }
  const remainder = length % 4
  if (remainder === 2 || remainder === 3) {
    for (let added = remainder; added < 4; added++) out[length++] = 0x3d
    padding += 4 - remainder
  }
  if (length === 0 || length % 4 !== 0 || padding > 2) return INVALID
  if (length > maxLength) return TOO_LARGE
  return out.toString('latin1', 0, length)
}

export function textBlock (text: string, part?: { cache_control?: TextBlock['cache_control'] }): TextBlock | undefined {
  if (text.trim() === '') return undefined
  return part?.cache_control ? { type: 'text', text, cache_control: part.cache_control } : { type: 'text', text }
}

export function imageBlock (part: ContentPart, param: string): ImageBlock {
  const raw = part.image_url
  const url = typeof raw === 'string' ? raw : raw?.url
  if (!url) throw invalidRequest(`${param}.image_url.url is required`, `${param}.image_url`)
  const block = imageFromUrl(url, `${param}.image_url.url`)
  if (part.cache_control) block.cache_control = part.cache_control
  return block
}

/** An image given by URL: a base64 data URL of a supported type, or an http(s) URL the upstream fetches. */
export function imageFromUrl (url: string, param: string): ImageBlock {
  return url.startsWith('data:')
    ? { type: 'image', source: imageSourceFromDataUrl(url, param) }
    : { type: 'image', source: { type: 'url', url: checkHttpUrl(url, param) } }
}

function imageSourceFromDataUrl (url: string, param: string): ImageBlock['source'] {
  const { mediaType: declared, base64 } = parseDataUrl(url, param, MAX_IMAGE_BASE64_LENGTH)
  const mediaType = declared === 'image/jpg' ? 'image/jpeg' : declared
  if (!IMAGE_TYPES.has(mediaType)) {
    throw invalidRequest(`Unsupported image type '${mediaType}' at ${param}; supported: ${[...IMAGE_TYPES].join(', ')}`, param, 'unsupported_media_type')
  }
  // Anthropic refuses an image whose bytes are of another type than declared; clients often
  // mislabel (a JPEG screenshot sent as image/png), so the bytes decide.
  const actual = sniffImageType(base64)
  if (actual === undefined) {
    throw invalidRequest(`The image at ${param} is not a PNG, JPEG, GIF or WebP image (its first bytes match none of them)`, param, 'invalid_image')
  }
  return { type: 'base64', media_type: actual, data: base64 }
}

/** The image type the first bytes of base64 data announce, if one Claude takes. */
export function sniffImageType (base64: string): string | undefined {
  const head = Buffer.from(base64.slice(0, 16), 'base64')
  const ascii = (from: number, to: number): string => head.subarray(from, to).toString('latin1')
  if (head.length >= 8 && head.readUInt32BE(0) === 0x89504e47 && head.readUInt32BE(4) === 0x0d0a1a0a) return 'image/png'
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg'
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'image/gif'
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp'
  return undefined
}

function checkHttpUrl (url: string, param: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidRequest(`${param} is not a valid URL`, param, 'invalid_url')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalidRequest(`${param} must be an http(s) or data URL`, param, 'invalid_url')
  }
  return url
}

const TYPES_BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf', txt: 'text/plain', md: 'text/markdown', markdown: 'text/markdown', csv: 'text/csv', json: 'application/json', xml: 'application/xml', html: 'text/html', htm: 'text/html'
}

/** Clients often label files `application/octet-stream` (or nothing); the file name then tells the type. */
function effectiveFileType (declared: string, filename: string | undefined): string {
  if (declared !== '' && declared !== 'application/octet-stream') return declared
  const extension = filename?.split('.').at(-1)?.toLowerCase() ?? ''
  return TYPES_BY_EXTENSION[extension] ?? declared
}

/** OpenAI `file` parts: PDFs become base64 documents, text-like files become text documents. */
export function documentBlock (part: ContentPart, param: string): DocumentBlock {
  const file = part.file
  if (!file) throw invalidRequest(`${param}.file is required`, `${param}.file`)
  if (!file.file_data) {
    const what = file.file_id ? 'file_id is not supported; send the file inline as file_data' : 'file.file_data is required'
    throw invalidRequest(`${param}: ${what}`, `${param}.file`, 'unsupported_file')
  }
  const block = documentFromDataUrl(file.file_data, file.filename, param, `${param}.file.file_data`)
  if (part.cache_control) block.cache_control = part.cache_control
  return block
}

/** A file as a data URL: PDFs become base64 documents, text-like files text documents. */
export function documentFromDataUrl (fileData: string, filename: string | undefined, param: string, dataParam: string): DocumentBlock {
  const parsed = parseDataUrl(fileData, dataParam)
  const mediaType = effectiveFileType(parsed.mediaType, filename)
  const base64 = parsed.base64
  let block: DocumentBlock
  if (mediaType === 'application/pdf') {
    block = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: base64 } }
  } else if (TEXT_FILE_TYPES.has(mediaType) || mediaType.startsWith('text/')) {
    block = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: Buffer.from(base64, 'base64').toString('utf8') } }
  } else {
    throw invalidRequest(`Unsupported file type '${mediaType || 'unknown'}' at ${param}; supported: application/pdf and text files (text/*, application/json)`, dataParam, 'unsupported_media_type')
  }
  if (filename) block.title = filename
  return block
}

/** A document the upstream fetches itself (PDF by URL). */
export function documentFromUrl (url: string, filename: string | undefined, param: string): DocumentBlock {
  const block: DocumentBlock = { type: 'document', source: { type: 'url', url: checkHttpUrl(url, param) } }
  if (filename) block.title = filename
  return block
}
