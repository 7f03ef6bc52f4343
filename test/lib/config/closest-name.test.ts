import { test } from 'tap'
import { closestName, editDistance } from '../../../lib/config/closest-name.js'

test('edit distance counts insertions, deletions, substitutions and neighbour swaps as one edit each', async (t) => {
  t.equal(editDistance('address', 'address'), 0)
  t.equal(editDistance('adress', 'address'), 1)
  t.equal(editDistance('log_levle', 'log_level'), 1)
  t.equal(editDistance('retry_count', 'retry_counts'), 1)
  t.equal(editDistance('port', 'post'), 1)
  t.equal(editDistance('', 'abc'), 3)
  t.equal(editDistance('kitten', 'sitting'), 3)
})

test('the closest name is found case-insensitively, and nothing when no name is near', async (t) => {
  const known = ['ADDRESS', 'PORT', 'LOG_LEVEL', 'APIKEY']
  t.equal(closestName('adress', known), 'ADDRESS')
  t.equal(closestName('LOG_LEVLE', known), 'LOG_LEVEL')
  t.equal(closestName('favourite_colour', known), undefined)
  t.equal(closestName('xy', known), undefined, 'a short name needs a close match')
})
