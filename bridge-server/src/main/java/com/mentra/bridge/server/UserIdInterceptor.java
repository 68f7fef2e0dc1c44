package com.mentra.bridge.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/** Makes the {@code user-id} call metadata available to the service through the gRPC context. */
final class UserIdInterceptor implements ServerInterceptor {
  static final Context.Key<String> USER_ID = Context.key("user-id");
  private static final Metadata.Key<String> HEADER =
      Metadata.Key.of("user-id", Metadata.ASCII_STRING_MARSHALLER);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String userId = headers.get(HEADER);
    Context context = Context.current().withValue(USER_ID, userId == null ? "" : userId);
    return Contexts.interceptCall(context, call, headers, next);
  }
}
