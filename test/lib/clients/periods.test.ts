import { test } from 'tap'
import { periodEnd, periodStart } from '../../../lib/clients/periods.js'
import type { SpendPeriod } from '../../../lib/store/teams-store.js'

const at = (iso: string): number => Date.parse(iso)
const iso = (ms: number): string => new Date(ms).toISOString()

test('a day runs from 00:00:00.000 UTC to the next midnight: its first and last millisecond belong to it', async (t) => {
  t.equal(iso(periodStart('daily', at('2026-12-02T00:00:00.000Z'))), '2026-12-02T00:00:00.000Z')
  t.equal(iso(periodStart('daily', at('2026-12-02T23:59:59.999Z'))), '2026-12-02T00:00:00.000Z')
  t.equal(iso(periodEnd('daily', at('2026-12-02T00:00:00.000Z'))), '2026-12-03T00:00:00.000Z')
  t.equal(iso(periodEnd('daily', at('2026-12-02T23:59:59.999Z'))), '2026-12-03T00:00:00.000Z')
  t.equal(iso(periodStart('daily', at('2026-12-03T00:00:00.000Z'))), '2026-12-03T00:00:00.000Z', 'the end of a day is the start of the next')
  t.equal(iso(periodEnd('daily', at('2026-12-31T12:00:00Z'))), '2027-01-01T00:00:00.000Z', 'across the year')
})

test('a week starts on Monday 00:00 UTC whatever the weekday', async (t) => {
  // 2026-11-30 is a Monday; every day of that week maps to it, and the week ends the next Monday.
  const days = ['2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06']
  for (const day of days) {
    t.equal(iso(periodStart('weekly', at(`${day}T13:14:15.678Z`))), '2026-11-30T00:00:00.000Z', `${day} starts the week of Monday 30 November`)
    t.equal(iso(periodEnd('weekly', at(`${day}T13:14:15.678Z`))), '2026-12-07T00:00:00.000Z', `${day} ends with it`)
  }
  t.equal(iso(periodStart('weekly', at('2026-12-06T23:59:59.999Z'))), '2026-11-30T00:00:00.000Z', 'the last millisecond of Sunday')
  t.equal(iso(periodStart('weekly', at('2026-12-07T00:00:00.000Z'))), '2026-12-07T00:00:00.000Z', 'Monday midnight starts a new week')
  t.equal(iso(periodStart('weekly', at('2027-01-01T08:00:00Z'))), '2026-12-28T00:00:00.000Z', 'a week can start in the previous year')
  t.equal(iso(periodEnd('weekly', at('2026-12-30T08:00:00Z'))), '2027-01-04T00:00:00.000Z')
})

test('a month starts on the 1st 00:00 UTC and ends at the next 1st, whatever its length', async (t) => {
  t.equal(iso(periodStart('monthly', at('2026-12-01T00:00:00.000Z'))), '2026-12-01T00:00:00.000Z')
  t.equal(iso(periodStart('monthly', at('2026-12-31T23:59:59.999Z'))), '2026-12-01T00:00:00.000Z')
  t.equal(iso(periodEnd('monthly', at('2026-12-31T23:59:59.999Z'))), '2027-01-01T00:00:00.000Z', 'December ends in the next year')
  t.equal(iso(periodEnd('monthly', at('2026-12-01T00:00:00.000Z'))), '2027-01-01T00:00:00.000Z')
  t.equal(iso(periodEnd('monthly', at('2028-02-10T00:00:00Z'))), '2028-03-01T00:00:00.000Z', 'a leap February')
  t.equal(iso(periodEnd('monthly', at('2027-02-28T23:59:59.999Z'))), '2027-03-01T00:00:00.000Z', 'a 28-day February')
  t.equal(iso(periodEnd('monthly', at('2027-01-31T10:00:00Z'))), '2027-02-01T00:00:00.000Z', 'from the 31st')
  t.equal(iso(periodStart('monthly', at('2027-03-01T00:00:00.000Z'))), '2027-03-01T00:00:00.000Z')
})

test('the three periods of one instant differ as they should', async (t) => {
  const now = at('2026-12-17T09:00:00Z') // a Thursday
  const starts = (['daily', 'weekly', 'monthly'] as SpendPeriod[]).map((period) => iso(periodStart(period, now)))
  t.same(starts, ['2026-12-17T00:00:00.000Z', '2026-12-14T00:00:00.000Z', '2026-12-01T00:00:00.000Z'])
  const ends = (['daily', 'weekly', 'monthly'] as SpendPeriod[]).map((period) => iso(periodEnd(period, now)))
  t.same(ends, ['2026-12-18T00:00:00.000Z', '2026-12-21T00:00:00.000Z', '2027-01-01T00:00:00.000Z'])
})
