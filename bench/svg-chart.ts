/** A small grouped bar chart written as SVG text (no chart library). */

export interface Series { name: string; color: string }
export interface BarGroup { label: string; values: number[] }

export interface ChartOptions {
  title: string
  subtitle: string
  unit: string
  series: Series[]
  groups: BarGroup[]
  width?: number
  height?: number
}

const FONT = 'font-family="Helvetica, Arial, sans-serif"'

function escapeXml (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** A step of 1, 2 or 5 times a power of ten giving about five ticks up to `max`. */
export function tickStep (max: number): number {
  if (!(max > 0)) return 1
  const rough = max / 5
  const power = 10 ** Math.floor(Math.log10(rough))
  const scaled = rough / power
  const factor = scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10
  return factor * power
}

function formatValue (value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  if (value >= 100) return value.toFixed(0)
  if (value >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

function legend (series: Series[], x: number, y: number): string {
  return series.map((item, index) => {
    const top = y + index * 18
    return `<rect x="${x}" y="${top}" width="12" height="12" fill="${item.color}"/>` +
      `<text x="${x + 18}" y="${top + 10}" font-size="12" ${FONT}>${escapeXml(item.name)}</text>`
  }).join('')
}

export function groupedBarChart (options: ChartOptions): string {
  const width = options.width ?? 760
  const height = options.height ?? 420
  const plot = { left: 64, right: width - 230, top: 64, bottom: height - 48 }
  const values = options.groups.flatMap((group) => group.values).filter((value) => Number.isFinite(value))
  const step = tickStep(Math.max(...values, 0))
  const top = Math.max(step, Math.ceil(Math.max(...values, 0) / step) * step)
  const yOf = (value: number): number => plot.bottom - (value / top) * (plot.bottom - plot.top)
  const parts: string[] = []
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  parts.push(`<text x="${plot.left}" y="26" font-size="16" font-weight="bold" ${FONT}>${escapeXml(options.title)}</text>`)
  parts.push(`<text x="${plot.left}" y="46" font-size="12" fill="#555555" ${FONT}>${escapeXml(options.subtitle)}</text>`)
  for (let tick = 0; tick <= top + step / 2; tick += step) {
    const y = yOf(tick)
    parts.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e3e3e3"/>`)
    parts.push(`<text x="${plot.left - 8}" y="${(y + 4).toFixed(1)}" font-size="11" text-anchor="end" ${FONT}>${formatValue(tick)}</text>`)
  }
  parts.push(`<text x="16" y="${(plot.top + plot.bottom) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${(plot.top + plot.bottom) / 2})" ${FONT}>${escapeXml(options.unit)}</text>`)
  const groupWidth = (plot.right - plot.left) / options.groups.length
  const barWidth = Math.min(48, (groupWidth * 0.8) / options.series.length)
  options.groups.forEach((group, groupIndex) => {
    const start = plot.left + groupIndex * groupWidth + (groupWidth - barWidth * options.series.length) / 2
    group.values.forEach((value, seriesIndex) => {
      const x = start + seriesIndex * barWidth
      const y = Number.isFinite(value) ? yOf(value) : plot.bottom
      parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 4).toFixed(1)}" height="${(plot.bottom - y).toFixed(1)}" fill="${options.series[seriesIndex].color}"/>`)
      parts.push(`<text x="${(x + (barWidth - 4) / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" font-size="10" text-anchor="middle" ${FONT}>${formatValue(value)}</text>`)
    })
    parts.push(`<text x="${(plot.left + (groupIndex + 0.5) * groupWidth).toFixed(1)}" y="${plot.bottom + 20}" font-size="13" text-anchor="middle" ${FONT}>${escapeXml(group.label)}</text>`)
  })
  parts.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}" stroke="#333333"/>`)
  parts.push(legend(options.series, plot.right + 24, plot.top))
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${parts.join('\n')}\n</svg>\n`
}
