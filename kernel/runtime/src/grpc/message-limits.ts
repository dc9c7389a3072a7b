/**
 * Largest gRPC message either side accepts (grpc-js defaults to 4 MiB received). Unary calls carry at most a
 * 10 MiB plugin tarball or a run with its step outputs; bytes of files always stream in small chunks.
 */
export const MESSAGE_LIMITS = {
  "grpc.max_receive_message_length": 16 * 1024 * 1024,
  "grpc.max_send_message_length": 16 * 1024 * 1024,
} as const;
