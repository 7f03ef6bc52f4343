import type { ContentPart } from '../../schemas/chat-completion.js'
import type { DocumentBlock, ImageBlock, TextBlock } from '../anthropic/types.js'
import { invalidRequest } from '../errors.js'

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])
const TEXT_FILE_TYPES = new Set(['text/plain', 'text/markdown', 'text/csv', 'text/html', 'text/xml', 'application/json', 'application/xml', 'text/x-markdown'])
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),/

interface DataUrl { mediaType: string; base64: string }

/** Splits a `data:` URL; only base64 payloads are accepted since that is what the upstream takes. */
export function parseDataUrl (url: string, param: string): DataUrl {
  const head = DATA_URL.exec(url.slice(0, 256))
  if (!head) throw invalidRequest(`${param} is not a valid data URL`, param, 'invalid_data_url')
  const params = head[2].split(';').filter(Boolean)
  if (!params.includes('base64')) throw invalidRequest(`${param} must be a base64 data URL`, param, 'invalid_data_url')
  const base64 = canonicalBase64(url.slice(head[0].length))
  if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64.test(base64)) {
    throw invalidRequest(`${param} holds invalid base64 data`, param, 'invalid_base64')
  }
  return { mediaType: head[1].toLowerCase(), base64 }
}

/**
 * The upstream takes standard, padded base64 only. Line breaks, the URL-safe alphabet and
 * missing padding (all common in clients) are put right rather than refused.
 */
function canonicalBase64 (raw: string): string {
  let data = /[\s_-]/.test(raw) ? raw.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/') : raw
  const remainder = data.length % 4
  if (remainder === 2 || remainder === 3) data += '='.repeat(4 - remainder)
  return data
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
  const { mediaType: declared, base64 } = parseDataUrl(url, param)
  const mediaType = declared === 'image/jpg' ? 'image/jpeg' : declared
  if (!IMAGE_TYPES.has(mediaType)) {
    throw invalidRequest(`Unsupported image type '${mediaType}' at ${param}; supported: ${[...IMAGE_TYPES].join(', ')}`, param, 'unsupported_media_type')
  }
  return { type: 'base64', media_type: mediaType, data: base64 }
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
