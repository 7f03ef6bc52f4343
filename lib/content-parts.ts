import type { ContentPart } from '../schemas/chat-completion.js'
import type { DocumentBlock, ImageBlock, TextBlock } from './anthropic-types.js'
import { invalidRequest } from './errors.js'

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
  const base64 = url.slice(head[0].length)
  if (base64.length === 0 || base64.length % 4 === 1 || !BASE64.test(base64)) {
    throw invalidRequest(`${param} holds invalid base64 data`, param, 'invalid_base64')
  }
  return { mediaType: head[1].toLowerCase(), base64 }
}

export function textBlock (text: string, part?: { cache_control?: TextBlock['cache_control'] }): TextBlock | undefined {
  if (text.trim() === '') return undefined
  return part?.cache_control ? { type: 'text', text, cache_control: part.cache_control } : { type: 'text', text }
}

export function imageBlock (part: ContentPart, param: string): ImageBlock {
  const raw = part.image_url
  const url = typeof raw === 'string' ? raw : raw?.url
  if (!url) throw invalidRequest(`${param}.image_url.url is required`, `${param}.image_url`)
  const block: ImageBlock = url.startsWith('data:')
    ? { type: 'image', source: imageSourceFromDataUrl(url, `${param}.image_url.url`) }
    : { type: 'image', source: { type: 'url', url: checkHttpUrl(url, `${param}.image_url.url`) } }
  if (part.cache_control) block.cache_control = part.cache_control
  return block
}

function imageSourceFromDataUrl (url: string, param: string): ImageBlock['source'] {
  const { mediaType, base64 } = parseDataUrl(url, param)
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

/** OpenAI `file` parts: PDFs become base64 documents, text-like files become text documents. */
export function documentBlock (part: ContentPart, param: string): DocumentBlock {
  const file = part.file
  if (!file) throw invalidRequest(`${param}.file is required`, `${param}.file`)
  if (!file.file_data) {
    const what = file.file_id ? 'file_id is not supported; send the file inline as file_data' : 'file.file_data is required'
    throw invalidRequest(`${param}: ${what}`, `${param}.file`, 'unsupported_file')
  }
  const { mediaType, base64 } = parseDataUrl(file.file_data, `${param}.file.file_data`)
  let block: DocumentBlock
  if (mediaType === 'application/pdf') {
    block = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: base64 } }
  } else if (TEXT_FILE_TYPES.has(mediaType) || mediaType.startsWith('text/')) {
    block = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: Buffer.from(base64, 'base64').toString('utf8') } }
  } else {
    throw invalidRequest(`Unsupported file type '${mediaType || 'unknown'}' at ${param}; supported: application/pdf and text files (text/*, application/json)`, `${param}.file.file_data`, 'unsupported_media_type')
  }
  if (file.filename) block.title = file.filename
  if (part.cache_control) block.cache_control = part.cache_control
  return block
}
