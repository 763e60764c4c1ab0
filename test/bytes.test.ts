// src/bytes.ts decodes strings with Node's private Buffer.prototype.utf8Slice and latin1Slice, and
// falls back to the public toString where a Node lacks them. These tests fail, naming the cause,
// when Node changes under it.
import test from 'ava';
import { latin1Slice, missingPrivateSlices, publicSlices, utf8Slice } from '../src/bytes.ts';

const samples = ['', 'KeyA', 'ünïcödé ✓', '日本語のテキスト', '\u{1F600} emoji', 'a\u0000b', '\ufffd'];

test("Node still has the private Buffer decoders episodic reads strings with (Buffer.prototype.utf8Slice, latin1Slice)", (t) => {
  t.deepEqual(
    missingPrivateSlices,
    [],
    `Node ${process.version} no longer has Buffer.prototype.${missingPrivateSlices.join(' or ')}: src/bytes.ts now decodes with the slower public ` +
      'Buffer.toString; look for its new name in lib/buffer.js, or accept the fallback and remove this check.',
  );
});

test('the private decoders and their public fallback decode every slice alike', (t) => {
  for (const text of samples) {
    const bytes = Buffer.concat([Buffer.from('<<'), Buffer.from(text, 'utf8'), Buffer.from('>>')]);
    const start = 2;
    const end = bytes.length - 2;
    t.is(utf8Slice.call(bytes, start, end), text);
    t.is(publicSlices.utf8.call(bytes, start, end), text);
    t.is(utf8Slice.call(bytes, start, end + 1), publicSlices.utf8.call(bytes, start, end + 1));
  }
  const ascii = Buffer.from('--device-0042--');
  t.is(latin1Slice.call(ascii, 2, 13), 'device-0042');
  t.is(publicSlices.latin1.call(ascii, 2, 13), 'device-0042');
  // malformed UTF-8 becomes U+FFFD either way
  const broken = Buffer.from([0x61, 0xc3, 0x28, 0xff, 0x62]);
  t.is(utf8Slice.call(broken, 0, broken.length), publicSlices.utf8.call(broken, 0, broken.length));
});
