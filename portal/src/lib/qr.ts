/**
 * A QR code as one SVG path (one unit square per dark module), so the page draws it with ordinary elements and
 * never renders markup from a string. The encoder (uqr) is loaded only by the page that shows a code.
 */
export interface QrPath {
  /** modules per side, quiet zone included */
  size: number;
  /** the SVG path of the dark modules */
  d: string;
}

export async function qrPath(text: string): Promise<QrPath> {
  const { encode } = await import("uqr");
  const qr = encode(text, { ecc: "M", border: 4 });
  const parts: string[] = [];
  qr.data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) parts.push(`M${x} ${y}h1v1h-1z`);
    });
  });
  return { size: qr.size, d: parts.join("") };
}
