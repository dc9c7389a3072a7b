import type { ServerDuplexStream, ServerReadableStream, ServerWritableStream } from "@grpc/grpc-js";
import type { RequestContext } from "../context.js";

/**
 * The shape of one method of a generated service definition (ts-proto `outputServices=grpc-js`,
 * e.g. `bundlesV1.BundlesServiceService.createBundle`).
 */
export interface MethodShape {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestSerialize: (value: never) => Buffer;
  readonly requestDeserialize: (bytes: Buffer) => unknown;
  readonly responseSerialize: (value: never) => Buffer;
  readonly responseDeserialize: (bytes: Buffer) => unknown;
}

/** A generated service definition, e.g. `bundlesV1.BundlesServiceService`. */
export type ServiceShape = Readonly<Record<string, MethodShape>>;

export type RequestOf<M> = M extends { requestDeserialize: (bytes: Buffer) => infer R } ? R : never;
export type ResponseOf<M> = M extends { responseDeserialize: (bytes: Buffer) => infer R } ? R : never;

/** Handler of a unary RPC: the decoded request and the caller's context in, the response out. */
export type UnaryHandler<Req, Res> = (request: Req, ctx: RequestContext) => Promise<Res>;
/** Client-streaming RPC: read requests from `call` (an object stream), resolve with the response. */
export type ClientStreamHandler<Req, Res> = (
  call: ServerReadableStream<Req, Res>,
  ctx: RequestContext,
) => Promise<Res>;
/** Server-streaming RPC: `call.write(...)` responses; the stream is ended when the promise resolves. */
export type ServerStreamHandler<Req, Res> = (
  call: ServerWritableStream<Req, Res>,
  ctx: RequestContext,
) => Promise<void>;
/** Bidi-streaming RPC: read and write on `call`; the stream is ended when the promise resolves. */
export type BidiStreamHandler<Req, Res> = (
  call: ServerDuplexStream<Req, Res>,
  ctx: RequestContext,
) => Promise<void>;

export type HandlerOf<M> = M extends { readonly requestStream: true }
  ? M extends { readonly responseStream: true }
    ? BidiStreamHandler<RequestOf<M>, ResponseOf<M>>
    : ClientStreamHandler<RequestOf<M>, ResponseOf<M>>
  : M extends { readonly responseStream: true }
    ? ServerStreamHandler<RequestOf<M>, ResponseOf<M>>
    : UnaryHandler<RequestOf<M>, ResponseOf<M>>;

/** What a service implements for a generated definition: one handler per method, all context-aware. */
export type ServiceImpl<D extends ServiceShape> = { [K in keyof D]: HandlerOf<D[K]> };

/** Names of the unary methods of a definition. */
export type UnaryMethodName<D extends ServiceShape> = {
  [K in keyof D]: D[K] extends { readonly requestStream: false; readonly responseStream: false } ? K : never;
}[keyof D] &
  string;
