export {
  assertEntryNames,
  MAX_NAME_BYTES,
  MAX_SEGMENT_BYTES,
  sanitizeEntryName,
  sanitizeEntryNames,
} from "./entry-names.js";
export {
  planZip,
  type Segment,
  type ZipMember,
  type ZipPlan,
  type ZipPlanEntry,
  type ZipPlanOptions,
} from "./zip-plan.js";
export { ifRangeMatches, type Piece, parseRange, type RangeRequest, sliceZip } from "./zip-range.js";
export { type OpenMember, type StreamZipOptions, streamZip } from "./zip-stream.js";
