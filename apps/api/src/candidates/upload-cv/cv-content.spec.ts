import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { docxBytes, exeBytes, pdfBytes, zipBytes } from '@feedwerk/testing';
import { CvContentError, CvSniffer, zipEntryNames } from './cv-content';

/** Streams `bytes` through a sniffer in small chunks, as a network upload arrives. */
async function sniff(bytes: Buffer, max?: number, chunk = 1000) {
  const sniffer = new CvSniffer(max);
  const chunks = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) =>
    bytes.subarray(i * chunk, (i + 1) * chunk),
  );
  let passed = 0;
  await pipeline(
    Readable.from(chunks),
    sniffer,
    new Writable({
      write(data: Buffer, _enc, done) {
        passed += data.length;
        done();
      },
    }),
  );
  return { mediaType: sniffer.mediaType, passed };
}

const refusal = async (bytes: Buffer, max?: number) => {
  try {
    await sniff(bytes, max);
  } catch (error) {
    if (error instanceof CvContentError) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error('accepted');
};

describe('CV content detection', () => {
  it('recognises a PDF by its bytes and passes every byte through', async () => {
    const pdf = pdfBytes();
    expect(await sniff(pdf, undefined, 3)).toEqual({ mediaType: 'application/pdf', passed: pdf.length });
  });

  it('recognises a DOCX by the parts its ZIP directory lists', async () => {
    expect((await sniff(docxBytes(), undefined, 7)).mediaType).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
  });

  it('refuses a renamed Windows executable with 415', async () => {
    expect(await refusal(exeBytes())).toEqual({ status: 415, code: 'unsupported-cv-content' });
  });

  it('refuses a ZIP that is not a Word document (an .xlsx, a plain archive)', async () => {
    const xlsx = zipBytes({ '[Content_Types].xml': '<Types/>', 'xl/workbook.xml': '<workbook/>' });
    expect(await refusal(xlsx)).toEqual({ status: 415, code: 'unsupported-cv-content' });
  });

  it('refuses a truncated DOCX whose directory is missing', async () => {
    const docx = docxBytes();
    expect(await refusal(docx.subarray(0, docx.length - 30))).toMatchObject({ status: 415 });
  });

  it('refuses a PDF header without an end (truncated or disguised text)', async () => {
    expect(await refusal(Buffer.from('%PDF-1.4 and then just text'))).toMatchObject({ status: 415 });
  });

  it('refuses an empty file with 400', async () => {
    expect(await refusal(Buffer.alloc(0))).toEqual({ status: 400, code: 'empty-cv' });
  });

  it('refuses a file above the limit at the crossing byte with 413', async () => {
    const big = Buffer.concat([pdfBytes(), Buffer.alloc(5_000)]);
    expect(await refusal(big, 4_000)).toEqual({ status: 413, code: 'cv-too-large' });
  });

  it('accepts a file of exactly the limit', async () => {
    const pdf = pdfBytes();
    expect((await sniff(pdf, pdf.length)).passed).toBe(pdf.length);
  });

  it('reads the entry names of a ZIP from its last bytes', () => {
    const zip = zipBytes({ 'a.txt': 'x', 'dir/b.xml': '<b/>' });
    expect(zipEntryNames(zip, zip.length)).toEqual(['a.txt', 'dir/b.xml']);
    // Only the tail is known: the directory must still be found relative to the file's end.
    expect(zipEntryNames(zip.subarray(30), zip.length)).toEqual(['a.txt', 'dir/b.xml']);
    expect(zipEntryNames(Buffer.from('not a zip at all, not at all'), 28)).toBeNull();
  });
});
