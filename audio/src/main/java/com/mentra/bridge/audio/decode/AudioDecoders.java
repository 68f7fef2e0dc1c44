package com.mentra.bridge.audio.decode;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/**
 * Opens a decoder for audio bytes. The format is recognised from the bytes first (RIFF/WAVE, ID3 or
 * an MPEG frame sync), then from the Content-Type, then from the file extension. Formats: WAV (PCM
 * 8/16/24/32, float, mu-law, A-law, extensible), MP3 (layer III), Ogg Opus and raw {@code
 * audio/L16;rate=...;channels=...}. Ogg Vorbis and FLAC are recognised and refused with a clear
 * message (no well-kept pure-Java decoder; native ones could crash the process).
 */
public final class AudioDecoders {
  private AudioDecoders() {}

  public static DecodedAudioStream open(InputStream raw, String contentType, String path)
      throws IOException {
    return open(raw, contentType, path, -1);
  }

  /**
   * @param contentLength the body's length in bytes (HTTP Content-Length), or -1 when unknown; lets
   *     raw PCM, and WAVs streamed without a data size, declare their duration
   */
  public static DecodedAudioStream open(
      InputStream raw, String contentType, String path, long contentLength) throws IOException {
    BufferedInputStream in =
        raw instanceof BufferedInputStream b ? b : new BufferedInputStream(raw, 16 * 1024);
    in.mark(16);
    byte[] head = in.readNBytes(12);
    in.reset();
    String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT).trim();
    String ext = extension(path);

    if (startsWith(head, "RIFF")
        && head.length >= 12
        && new String(head, 8, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("WAVE")) {
      in.skipNBytes(4);
      return WavDecoder.open(in, contentLength);
    }
    if (startsWith(head, "ID3") || isMpegSync(head)) return Mp3Decoder.open(in);
    if (startsWith(head, "OggS")) return OggOpusDecoder.open(in);
    if (startsWith(head, "fLaC"))
      throw new UnsupportedFormatException("FLAC is not supported yet; use MP3 or WAV");
    if (head.length == 0) throw new DecodeException("the audio body is empty");

    if (type.startsWith("audio/l16"))
      return new RawPcmDecoder(
          in, param(type, "rate", -1), param(type, "channels", 1), contentLength);
    if (type.startsWith("audio/mpeg") || type.startsWith("audio/mp3") || ext.equals("mp3")) {
      // No sync at byte 0 (e.g. leading junk): let the MP3 reader search, it fails clearly if
      // nothing is there.
      return Mp3Decoder.open(in);
    }
    if (type.startsWith("text/")
        || type.contains("html")
        || type.contains("json")
        || looksLikeText(head)) {
      throw new UnsupportedFormatException(
          "the body is not audio (Content-Type '" + (type.isEmpty() ? "none" : type) + "')");
    }
    throw new UnsupportedFormatException(
        "unrecognised audio format (Content-Type '"
            + (type.isEmpty() ? "none" : type)
            + "', extension '"
            + ext
            + "'); supported: WAV, MP3, Ogg Opus, audio/L16");
  }

  private static boolean startsWith(byte[] b, String magic) {
    if (b.length < magic.length()) return false;
    for (int i = 0; i < magic.length(); i++) if (b[i] != (byte) magic.charAt(i)) return false;
    return true;
  }

  private static boolean isMpegSync(byte[] b) {
    // 11-bit frame sync, layer III (bits 01), a valid bitrate and sample-rate index.
    return b.length >= 4
        && (b[0] & 0xff) == 0xff
        && (b[1] & 0xe0) == 0xe0
        && (b[1] & 0x06) == 0x02
        && (b[2] & 0xf0) != 0xf0
        && (b[2] & 0x0c) != 0x0c;
  }

  private static boolean looksLikeText(byte[] b) {
    if (b.length == 0) return false;
    for (byte x : b) if (x < 0x09 || (x > 0x0d && x < 0x20)) return false;
    return true;
  }

  private static int param(String type, String name, int fallback)
      throws UnsupportedFormatException {
    for (String part : type.split(";")) {
      String[] kv = part.trim().split("=", 2);
      if (kv.length == 2 && kv[0].trim().equals(name)) {
        try {
          return Integer.parseInt(kv[1].trim());
        } catch (NumberFormatException e) {
          throw new UnsupportedFormatException(
              "audio/L16 parameter " + name + " is not a number: " + kv[1]);
        }
      }
    }
    if (fallback < 0) throw new UnsupportedFormatException("audio/L16 needs a rate parameter");
    return fallback;
  }

  private static String extension(String path) {
    if (path == null) return "";
    int q = path.indexOf('?');
    String p = q >= 0 ? path.substring(0, q) : path;
    int dot = p.lastIndexOf('.');
    int slash = p.lastIndexOf('/');
    return dot > slash && dot >= 0 ? p.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
  }
}
