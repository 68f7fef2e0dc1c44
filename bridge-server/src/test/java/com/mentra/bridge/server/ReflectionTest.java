package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Server reflection answers on v1 and on v1alpha (older grpcurl builds speak only the latter). */
class ReflectionTest {
  @Test
  @SuppressWarnings("deprecation")
  void bothReflectionVersionsListTheBridgeService() throws Exception {
    try (BridgeHarness h = new BridgeHarness()) {
      CompletableFuture<List<String>> v1alpha = new CompletableFuture<>();
      StreamObserver<io.grpc.reflection.v1alpha.ServerReflectionRequest> a =
          io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(h.channel)
              .serverReflectionInfo(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(io.grpc.reflection.v1alpha.ServerReflectionResponse r) {
                      v1alpha.complete(
                          r.getListServicesResponse().getServiceList().stream()
                              .map(s -> s.getName())
                              .collect(Collectors.toList()));
                    }

                    @Override
                    public void onError(Throwable t) {
                      v1alpha.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                  });
      a.onNext(
          io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
              .setListServices("*")
              .build());
      CompletableFuture<List<String>> v1 = new CompletableFuture<>();
      StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> b =
          io.grpc.reflection.v1.ServerReflectionGrpc.newStub(h.channel)
              .serverReflectionInfo(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(io.grpc.reflection.v1.ServerReflectionResponse r) {
                      v1.complete(
                          r.getListServicesResponse().getServiceList().stream()
                              .map(s -> s.getName())
                              .collect(Collectors.toList()));
                    }

                    @Override
                    public void onError(Throwable t) {
                      v1.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                  });
      b.onNext(
          io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("*").build());
      System.out.println(
          "reflection v1alpha lists "
              + v1alpha.get(10, TimeUnit.SECONDS)
              + "; v1 lists "
              + v1.get(10, TimeUnit.SECONDS));
      assertThat(v1alpha.get())
          .contains("mentra.livekit.bridge.LiveKitBridge", "grpc.health.v1.Health");
      assertThat(v1.get()).contains("mentra.livekit.bridge.LiveKitBridge");
      a.onCompleted();
      b.onCompleted();
    }
  }
}
