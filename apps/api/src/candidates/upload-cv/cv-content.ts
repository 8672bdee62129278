import { Transform, type TransformCallback } from 'node:stream';
import { CV_MEDIA_TYPES, type CvMediaType, MAX_CV_BYTES } from '@feedwerk/contracts';

/** Why an uploaded file is refused; `status` is the HTTP answer. */
export class CvContentError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const PDF_EOF = Buffer.from('%%EOF', 'latin1');
/** Readers look for `%%EOF` within the last 1024 bytes (PDF 1.7, implementation note 18). */
const PDF_EOF_WINDOW = 1024;
/**
 * The end of the file kept in memory to read a ZIP's central directory. A DOCX lists some 10-50 entries
 * (a few KiB); 256 KiB holds thousands, and bounds memory however large the upload.
 */
const TAIL_BYTES = 256 * 1024;

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_MIN = 22;
const CENTRAL_SIGNATURE = 0x02014b50;
const CENTRAL_HEADER = 46;
/** A WordprocessingML package names both parts (ECMA-376 part 2, Open Packaging Conventions). */
const DOCX_PARTS = ['[Content_Types].xml', 'word/document.xml'];

const unsupported = (detail: string) =>
  new CvContentError(415, 'unsupported-cv-content', `the file is not a PDF or DOCX document: ${detail}`);

/** Names of the entries in a ZIP's central directory, read from the file's last bytes; null if it is not a plain ZIP. */
export function zipEntryNames(tail: Buffer, fileSize: number): string[] | null {
  const lowest = Math.max(0, tail.length - EOCD_MIN - 0xffff);
  for (let at = tail.length - EOCD_MIN; at >= lowest; at -= 1) {
    if (tail.readUInt32LE(at) !== EOCD_SIGNATURE) continue;
    const commentLength = tail.readUInt16LE(at + 20);
    if (at + EOCD_MIN + commentLength !== tail.length) continue;
    const entries = tail.readUInt16LE(at + 10);
    const directorySize = tail.readUInt32LE(at + 12);
    const directoryOffset = tail.readUInt32LE(at + 16);
    const eocdOffset = fileSize - tail.length + at;
    // ZIP64 markers, multi-disk archives or a directory that does not end where the EOCD starts.
    if (entries === 0xffff || directoryOffset + directorySize !== eocdOffset) return null;
    let cursor = tail.length - (fileSize - directoryOffset);
    if (cursor < 0) return null;
    const names: string[] = [];
    for (let i = 0; i < entries; i += 1) {
      if (cursor + CENTRAL_HEADER > at || tail.readUInt32LE(cursor) !== CENTRAL_SIGNATURE) return null;
      const nameLength = tail.readUInt16LE(cursor + 28);
      const extraLength = tail.readUInt16LE(cursor + 30);
      const commentLen = tail.readUInt16LE(cursor + 32);
      const end = cursor + CENTRAL_HEADER + nameLength;
      if (end > at) return null;
      names.push(tail.toString('utf8', cursor + CENTRAL_HEADER, end));
      cursor = end + extraLength + commentLen;
    }
    return names;
  }
  return null;
}

/**
 * Decides what an uploaded CV is from its bytes while it streams through, never from its name or its
 * declared type: a PDF starts with `%PDF-` and ends with `%%EOF`; a DOCX is a ZIP whose central
 * directory lists `[Content_Types].xml` and `word/document.xml`. Anything else fails the stream with
 * 415 as soon as the first bytes show it; more than MAX_CV_BYTES fails it with 413 at the byte that
 * crosses the limit (nothing more is read); an empty file fails with 400. Memory stays bounded: the
 * first bytes and the last 256 KiB.
 */
export class CvSniffer extends Transform {
  private size = 0;
  private head = Buffer.alloc(0);
  private kind: 'pdf' | 'zip' | null = null;
  private tail: Buffer[] = [];
  private tailLength = 0;
  private detected: CvMediaType | null = null;

  constructor(private readonly maxBytes = MAX_CV_BYTES) {
    super();
  }

  /** The media type once the stream ended successfully. */
  get mediaType(): CvMediaType {
    if (!this.detected) throw new Error('the CV stream has not been read to its end');
    return this.detected;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      done(new CvContentError(413, 'cv-too-large', `the file is larger than ${this.maxBytes} bytes`));
      return;
    }
    if (this.kind === null) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, PDF_MAGIC.length)]).subarray(
        0,
        PDF_MAGIC.length,
      );
      if (this.head.length >= PDF_MAGIC.length) {
        if (this.head.equals(PDF_MAGIC)) this.kind = 'pdf';
        else if (this.head.subarray(0, ZIP_MAGIC.length).equals(ZIP_MAGIC)) this.kind = 'zip';
        else {
          done(unsupported('its first bytes match neither'));
          return;
        }
      }
    }
    this.keepTail(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.size === 0) {
      done(new CvContentError(400, 'empty-cv', 'the file is empty'));
      return;
    }
    if (this.kind === null) {
      done(unsupported('it is too short'));
      return;
    }
    const tail = Buffer.concat(this.tail, this.tailLength);
    if (this.kind === 'pdf') {
      if (!tail.subarray(-PDF_EOF_WINDOW).includes(PDF_EOF)) {
        done(unsupported('the PDF has no end-of-file marker (truncated?)'));
        return;
      }
      this.detected = CV_MEDIA_TYPES[0];
      done();
      return;
    }
    const names = zipEntryNames(tail, this.size);
    if (!names) {
      done(unsupported('the ZIP container cannot be read'));
      return;
    }
    if (!DOCX_PARTS.every((part) => names.includes(part))) {
      done(unsupported('the ZIP container is not a Word document'));
      return;
    }
    this.detected = CV_MEDIA_TYPES[1];
    done();
  }

  private keepTail(chunk: Buffer): void {
    this.tail.push(chunk);
    this.tailLength += chunk.length;
    while (this.tail.length > 1 && this.tailLength - this.tail[0]!.length >= TAIL_BYTES) {
      this.tailLength -= this.tail.shift()!.length;
    }
  }
}
