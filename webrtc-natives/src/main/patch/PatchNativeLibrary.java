import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Writes webrtc-java 0.14.0's libwebrtc-java-linux-x86_64.so with two functions rewritten, each of
 * which leaked on every call.
 *
 * <p><b>{@code jni::RTCDataChannelObserver::OnMessage(const webrtc::DataBuffer&)}</b>, per data
 * packet received. The original (webrtc-jni/src/main/cpp/src/api/RTCDataChannelObserver.cpp)
 * attaches the thread, builds an RTCDataChannelBuffer (a JNI local reference, plus one for the
 * direct ByteBuffer inside it that DataBufferFactory::create never deletes), calls the Java
 * observer with {@code jBuffer.release()} and so never deletes either. libwebrtc's threads stay
 * attached to the JVM, and an attached native thread's local references live until it detaches:
 * every message received stays reachable for the life of the process.
 *
 * <p>The rewrite brackets the same calls with {@code PushLocalFrame(env, 8)} and {@code
 * PopLocalFrame(env, NULL)}, which frees every local reference made in between (both of them). Both
 * are callable with a Java exception pending. Everything else is the original instruction sequence,
 * re-laid out: prologue, AttachCurrentThread, DataBufferFactory::create through its vtable,
 * CallVoidMethod(observer, onMessage, buffer), ExceptionCheck, epilogue. The original's now
 * unreachable JavaLocalRef destructor is replaced by int3 padding; the exception landing pad after
 * the function body is untouched.
 *
 * <p><b>{@code
 * jni::CreateSessionDescriptionObserver::OnSuccess(webrtc::SessionDescriptionInterface* desc)}</b>,
 * per offer or answer created. libwebrtc hands the observer ownership of {@code desc}; the original
 * (webrtc-jni/src/main/cpp/src/api/CreateSessionDescriptionObserver.cpp) converts it to Java and
 * never deletes it, so every description created stayed in memory (its parsed sessions, codecs and
 * candidates: a few KB each, two or more per publish or unpublish). The rewrite keeps the
 * function's first 71 bytes (through ExceptionCheck, so every call that can throw keeps its address
 * and its landing pad) and replaces the tail: delete the Java object's local reference as before
 * (with the env already in rbx), then {@code delete desc} through its virtual deleting destructor
 * (vtable slot 1: SessionDescriptionInterface declares its destructor first;
 * RTCSessionDescription::toJava calls its ToString and GetType at slots 13 and 7, as that layout
 * says), then the epilogue.
 *
 * <p>Refuses any input but the exact file it was written for (SHA-256 and the original bytes).
 * Usage: java PatchNativeLibrary.java original.so patched.so
 */
public class PatchNativeLibrary {
  static final String ORIGINAL_SHA256 =
      "d6ad2413f8ca8f493efc4f01936f2079b8593881af1d4cd04ce25552d6a92c15";

  /**
   * OnMessage's virtual address and file offset (executable segment: file offset = address -
   * 0x1000).
   */
  static final long ON_MESSAGE_ADDRESS = 0x4f5510L;

  /** CreateSessionDescriptionObserver::OnSuccess's virtual address. */
  static final long ON_SUCCESS_ADDRESS = 0x4e8900L;

  /** OnSuccess up to its exception landing pad at 0x4e8985. */
  static final String ON_SUCCESS_ORIGINAL =
      String.join(
              "",
              "4157 4156 53 4883ec10 4989f6 4989ff e81c1f0f01 4889c3 4889e7 4889c6 4c89f2 e8fb2c0f01",
              "498b7708 498b4710 488b5008 488b0c24 4889df 31c0 e8a1380f01 4889df e8291f0f01",
              // the tail replaced: JavaLocalRef's destructor, the epilogue
              "488b7c2408 4885ff 740b 488b3424 4885f6 7518 eb1f e8cf1e0f01 4889c7 4889442408",
              "488b3424 4885f6 7409 488b07 ff90b8000000 4883c410 5b 415e 415f c3")
          .replace(" ", "");

  /** Where OnSuccess's tail starts: after the call to ExceptionCheck. */
  static final int ON_SUCCESS_KEPT = 0x47;

  static final long FILE_DELTA = 0x1000L;

  /** The function body up to its exception landing pad at 0x4f55a2. */
  static final String ON_MESSAGE_ORIGINAL =
      String.join(
          "",
          "4157",
          "4156",
          "53",
          "4883ec10",
          "4989f6",
          "4989ff",
          "e80c530e01",
          "4889c3",
          "498b7710",
          "488b06",
          "4889e7",
          "4889da",
          "4c89f1",
          "ff5010",
          "498b7708",
          "498b4718",
          "488b5010",
          "488b0c24",
          "48c7042400000000",
          "4889df",
          "31c0",
          "e8846c0e01",
          "4889df",
          "e80c530e01",
          "488b7c2408",
          "4885ff",
          "740b",
          "488b3424",
          "4885f6",
          "7518",
          "eb1f",
          "e8b2520e01",
          "4889c7",
          "4889442408",
          "488b3424",
          "4885f6",
          "7409",
          "488b07",
          "ff90b8000000",
          "4883c410",
          "5b",
          "415e",
          "415f",
          "c3");

  /** PLT entries the body calls (absolute addresses; calls are rel32 from the next instruction). */
  static final long ATTACH_CURRENT_THREAD = 0x15da830L;

  static final long CALL_VOID_METHOD = 0x15dc1e0L;
  static final long EXCEPTION_CHECK = 0x15da870L;

  public static void main(String[] args) throws Exception {
    byte[] so = Files.readAllBytes(Path.of(args[0]));
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(so));
    if (!sha.equals(ORIGINAL_SHA256)) {
      throw new IllegalStateException(
          args[0]
              + " is not webrtc-java 0.14.0's library (SHA-256 "
              + sha
              + "): this patch is for that exact file; check whether the new version still leaks (see the module's pom)");
    }
    patchOnMessage(so);
    patchOnSuccess(so);
    Path out = Path.of(args[1]);
    Files.createDirectories(out.getParent());
    Files.write(out, so);
    System.out.printf(
        "patched RTCDataChannelObserver::OnMessage and CreateSessionDescriptionObserver::OnSuccess"
            + " into %s%n",
        out);
  }

  /** Checks that {@code so} holds {@code hex} at {@code address}; returns the file offset. */
  static int expect(byte[] so, long address, String hex, String function) {
    byte[] original = HexFormat.of().parseHex(hex);
    int offset = (int) (address - FILE_DELTA);
    for (int i = 0; i < original.length; i++) {
      if (so[offset + i] != original[i])
        throw new IllegalStateException("unexpected byte at " + function + " offset " + i);
    }
    return offset;
  }

  /** Writes {@code body} at {@code offset}, int3 up to {@code length}. */
  static void write(byte[] so, int offset, byte[] body, int length, String function) {
    if (body.length > length)
      throw new IllegalStateException(function + ": rewrite longer than the original body");
    System.arraycopy(body, 0, so, offset, body.length);
    for (int i = body.length; i < length; i++) so[offset + i] = (byte) 0xcc;
    System.out.printf("%s: %d of %d bytes%n", function, body.length, length);
  }

  static void patchOnSuccess(byte[] so) {
    String function = "CreateSessionDescriptionObserver::OnSuccess";
    int offset = expect(so, ON_SUCCESS_ADDRESS, ON_SUCCESS_ORIGINAL, function);
    Assembler a = new Assembler(ON_SUCCESS_ADDRESS + ON_SUCCESS_KEPT);
    // rsp -> JavaLocalRef {obj, env}; rbx = env; r14 = desc (callee-saved since the prologue)
    a.hex("488b3424", "4885f6", "740c"); // rsi = obj; if null skip
    a.hex("4889df", "488b03", "ff90b8000000"); // DeleteLocalRef(env, obj)
    a.hex("4d85f6", "7409"); // if desc != null
    a.hex("4c89f7", "498b06", "ff5008"); //   delete desc (virtual deleting destructor)
    a.hex("4883c410", "5b", "415e", "415f", "c3");
    write(
        so,
        offset + ON_SUCCESS_KEPT,
        a.bytes(),
        ON_SUCCESS_ORIGINAL.length() / 2 - ON_SUCCESS_KEPT,
        function);
  }

  static void patchOnMessage(byte[] so) {
    int offset =
        expect(so, ON_MESSAGE_ADDRESS, ON_MESSAGE_ORIGINAL, "RTCDataChannelObserver::OnMessage");
    Assembler a = new Assembler(ON_MESSAGE_ADDRESS);
    a.hex(
        "4157",
        "4156",
        "53",
        "4883ec10"); // push r15, r14, rbx; sub rsp, 16 (the JavaLocalRef slot)
    a.hex("4989f6", "4989ff"); // r14 = buffer, r15 = this
    a.call(ATTACH_CURRENT_THREAD);
    a.hex("4889c3"); // rbx = env
    a.hex("488b00", "4889df", "be08000000", "ff9098000000"); // PushLocalFrame(env, 8)
    a.hex(
        "498b7710",
        "488b06",
        "4889e7",
        "4889da",
        "4c89f1",
        "ff5010"); // bufferFactory->create(&slot, env, buffer)
    a.hex("498b7708", "498b4718", "488b5010", "488b0c24"); // observer, onMessage, slot.obj
    a.hex("4889df", "31c0");
    a.call(CALL_VOID_METHOD);
    a.hex(
        "488b03",
        "4889df",
        "31f6",
        "ff90a0000000"); // PopLocalFrame(env, NULL): frees both references
    a.hex("4889df");
    a.call(EXCEPTION_CHECK);
    a.hex("4883c410", "5b", "415e", "415f", "c3");
    write(
        so,
        offset,
        a.bytes(),
        ON_MESSAGE_ORIGINAL.length() / 2,
        "RTCDataChannelObserver::OnMessage");
  }

  /** Appends machine code at a known address, so rel32 calls can be encoded. */
  static final class Assembler {
    private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    private final long start;

    Assembler(long start) {
      this.start = start;
    }

    void hex(String... parts) {
      for (String part : parts) out.writeBytes(HexFormat.of().parseHex(part));
    }

    void call(long target) {
      long next = start + out.size() + 5;
      int rel = Math.toIntExact(target - next);
      out.write(0xe8);
      for (int i = 0; i < 4; i++) out.write((rel >>> (8 * i)) & 0xff);
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
