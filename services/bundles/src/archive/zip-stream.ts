import { finished, Readable } from "node:stream";
import { crc32 } from "node:zlib";
import { ErrorCode, LatchflowError } from "@latchflow/runtime";
import type { ZipPlan } from "./zip-plan.js";
import type { Piece } from "./zip-range.js";

/**
 * Opens exactly `length` plaintext bytes of member `index`, starting at byte `from` of the member.
 * Called lazily, once per member piece, when the output reaches it.
 */
export type OpenMember = (index: number, from: number, length: number) => Promise<Readable>;

/** Options of {@link streamZip}. */
export interface StreamZipOptions {
  /**
   * When a piece covers a whole member, check its CRC-32 against the plan and fail the stream on a
   * mismatch (native `zlib.crc32`; a wrong archive is never ended cleanly). Default true.
   */
  verifyCrc?: boolean;
  /** Output buffer size in bytes (Node's default when omitted). */
  highWaterMark?: number;
}

type MemberPiece = Extract<Piece, { kind: "member" }>;

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

function integrityError(message: string, details: Record<string, unknown>): LatchflowError {
  return new LatchflowError(ErrorCode.IntegrityFailed, message, { details });
}

/** Emits pieces in order; one member stream open at a time, paused while the consumer is full. */
class ZipReadable extends Readable {
  private next = 0;
  private member: Readable | undefined;
  private opening = false;
  /** Whether the consumer can take more: set by `_read`, cleared when `push` reports a full buffer. */
  private wanted = false;

  constructor(
    private readonly plan: ZipPlan,
    private readonly pieces: readonly Piece[],
    private readonly open: OpenMember,
    private readonly verifyCrc: boolean,
    highWaterMark: number | undefined,
  ) {
    super(highWaterMark === undefined ? {} : { highWaterMark });
  }

  override _read(): void {
    this.wanted = true;
    if (this.member) this.member.resume();
    else if (!this.opening) this.advance();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const member = this.member;
    this.member = undefined;
    member?.destroy();
    callback(err);
  }

  private send(chunk: Buffer): boolean {
    this.wanted = this.push(chunk);
    return this.wanted;
  }

  /** Pushes literal pieces until the consumer is full or a member piece is reached. */
  private advance(): void {
    while (this.next < this.pieces.length) {
      const piece = this.pieces[this.next++]!;
      if (piece.kind === "member") {
        if (piece.length > 0) {
          this.openPiece(piece);
          return;
        }
      } else if (piece.data.length > 0 && !this.send(piece.data)) {
        return;
      }
    }
    this.push(null);
  }

  private openPiece(piece: MemberPiece): void {
    this.opening = true;
    Promise.resolve()
      .then(() => this.open(piece.index, piece.from, piece.length))
      .then(
        (stream) => {
          this.opening = false;
          if (this.destroyed) stream.destroy();
          else this.attach(stream, piece);
        },
        (err: unknown) => {
          this.opening = false;
          this.destroy(asError(err));
        },
      );
  }

  private attach(stream: Readable, piece: MemberPiece): void {
    const entry = this.plan.entries[piece.index]!;
    const verify = this.verifyCrc && piece.from === 0 && piece.length === entry.size;
    let received = 0;
    let crc = 0;
    this.member = stream;
    const fail = (err: Error): void => {
      this.member = undefined;
      stream.destroy();
      this.destroy(err);
    };
    const onData = (chunk: unknown): void => {
      if (!(chunk instanceof Uint8Array)) {
        fail(new TypeError("Archive member streams must emit bytes"));
        return;
      }
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      received += buf.length;
      if (received > piece.length) {
        fail(integrityError("Archive member stream is longer than expected", { index: piece.index }));
        return;
      }
      if (verify) crc = crc32(buf, crc);
      if (!this.send(buf)) stream.pause();
    };
    stream.on("data", onData);
    finished(stream, (err) => {
      stream.off("data", onData);
      if (this.member !== stream) return; // already failed or destroyed
      this.member = undefined;
      const details = { index: piece.index, expected: piece.length, received };
      if (err) this.destroy(err);
      else if (received !== piece.length) {
        this.destroy(integrityError("Archive member stream ended early", details));
      } else if (verify && crc >>> 0 !== entry.crc32) {
        this.destroy(integrityError("Archive member CRC-32 does not match", { index: piece.index }));
      } else if (this.wanted) this.advance();
    });
  }
}

function checkPieces(plan: ZipPlan, pieces: readonly Piece[]): void {
  for (const p of pieces) {
    if (p.kind !== "member") continue;
    const entry = plan.entries[p.index];
    if (!entry || p.from < 0 || p.length < 0 || p.from + p.length > entry.size) {
      throw new RangeError(`Piece ${p.index}:${p.from}+${p.length} is outside its member`);
    }
  }
}

/**
 * Streams `pieces` (from {@link sliceZip}, or every segment of the plan) as one Readable with
 * backpressure. Member streams are opened lazily through `openMember`, one at a time, and destroyed
 * when the output is. If opening or reading a member fails, or a member yields the wrong number of
 * bytes (or, for whole members, the wrong CRC-32), the output is destroyed with that error; it never
 * ends cleanly after a failure.
 *
 * @throws RangeError synchronously when a member piece lies outside its member.
 */
export function streamZip(
  plan: ZipPlan,
  pieces: readonly Piece[],
  openMember: OpenMember,
  options: StreamZipOptions = {},
): Readable {
  checkPieces(plan, pieces);
  return new ZipReadable(plan, pieces, openMember, options.verifyCrc ?? true, options.highWaterMark);
}
