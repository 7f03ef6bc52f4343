import { test } from 'tap'
import { findChromium } from '../helpers/chromium.js'

test('without a Chromium the browser test stops at once with a message saying how to get one', async (t) => {
  t.throws(() => findChromium({}, ['/nonexistent/chromium']), { message: /No Chromium found \(looked at \/nonexistent\/chromium\): install it with `sudo apt-get install chromium`.*CHROMIUM_PATH/ })
})

test('CHROMIUM_PATH is looked at first; a path that is not an executable is passed over', async (t) => {
  t.equal(findChromium({ CHROMIUM_PATH: process.execPath }, ['/nonexistent/chromium']), process.execPath)
  t.equal(findChromium({ CHROMIUM_PATH: '/nonexistent/other' }, ['/nonexistent/chromium', process.execPath]), process.execPath)
})
