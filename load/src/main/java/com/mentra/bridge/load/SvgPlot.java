package com.mentra.bridge.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** The run as stacked line charts in one SVG file, written without a plotting library. */
final class SvgPlot {
  private static final int WIDTH = 1000;
  private static final int LEFT = 70;
  private static final int RIGHT = 150;
  private static final int PANEL = 150;
  private static final int GAP = 40;

  private record Series(String name, String color, String dash, ToDoubleFunction<Sample> value) {}

  private record Panel(String title, List<Series> series, double[] fit) {}

  private SvgPlot() {}

  /**
   * Writes the plot. {@code warmupSeconds} (negative: none) draws the soak's warm-up line; {@code
   * rssFit} ({slope per second, intercept}, or null) the fitted RSS trend.
   */
  static void write(
      Path file, List<String> heading, List<Sample> samples, double warmupSeconds, double[] rssFit)
      throws IOException {
    List<Panel> panels = new ArrayList<>();
    panels.add(
        new Panel(
            "CPU (cores)",
            List.of(
                new Series("bridge", "#d62728", "", Sample::bridgeCores),
                new Series("livekit-server", "#1f77b4", "6,3", Sample::livekitCores),
                new Series("phones (Go)", "#2ca02c", "2,3", Sample::phonesCores),
                new Series("load driver", "#7f7f7f", "1,3", Sample::driverCores),
                new Series("machine (all)", "#000000", "1,2", Sample::machineCores)),
            null));
    panels.add(
        new Panel(
            "bridge RSS (MB)", List.of(new Series("RSS", "#d62728", "", Sample::rssMb)), rssFit));
    panels.add(
        new Panel(
            "bridge threads and FDs",
            List.of(
                new Series("OS threads", "#9467bd", "", s -> s.threads()),
                new Series("open FDs", "#8c564b", "6,3", s -> s.fds())),
            null));
    panels.add(
        new Panel(
            "latency (ms)",
            List.of(
                new Series("phone→client p50", "#1f77b4", "", Sample::downP50),
                new Series("phone→client p99", "#ff7f0e", "", Sample::downP99),
                new Series("phone→client max", "#d62728", "2,3", Sample::downMax),
                new Series("client→listener p50", "#2ca02c", "6,3", Sample::upP50),
                new Series("client→listener p99", "#17becf", "6,3", Sample::upP99)),
            null));
    panels.add(
        new Panel(
            "phone packets per second",
            List.of(
                new Series("sent by phones", "#1f77b4", "", Sample::sentPerSecond),
                new Series("received by client", "#d62728", "4,3", Sample::receivedPerSecond)),
            null));

    int top = 20 + 16 * heading.size() + 20;
    int height = top + panels.size() * (PANEL + GAP) + 20;
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">%n",
            WIDTH,
            height));
    svg.append(
        String.format(
            Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, height));
    for (int i = 0; i < heading.size(); i++) {
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x=\"10\" y=\"%d\"%s>%s</text>%n",
              20 + 16 * i,
              i == 0 ? " font-size=\"14\" font-weight=\"bold\"" : "",
              escape(heading.get(i))));
    }
    double tMin = samples.isEmpty() ? 0 : samples.get(0).t();
    double tMax = samples.isEmpty() ? 1 : Math.max(tMin + 1, samples.get(samples.size() - 1).t());
    boolean hours = tMax > 3 * 3600;
    boolean minutes = !hours && tMax > 300;
    int plotWidth = WIDTH - LEFT - RIGHT;
    for (int p = 0; p < panels.size(); p++) {
      Panel panel = panels.get(p);
      int y0 = top + p * (PANEL + GAP);
      double yMax = 0;
      for (Series s : panel.series())
        for (Sample sm : samples) yMax = Math.max(yMax, finite(s.value().applyAsDouble(sm)));
      yMax = 4 * niceCeiling((yMax <= 0 ? 1 : yMax * 1.05) / 4); // four gridlines at round values
      double yMin = 0;
      if (panel.title().startsWith("bridge RSS") || panel.title().startsWith("bridge threads")) {
        double lo = Double.MAX_VALUE;
        for (Series s : panel.series())
          for (Sample sm : samples) lo = Math.min(lo, finite(s.value().applyAsDouble(sm)));
        if (lo != Double.MAX_VALUE) yMin = Math.max(0, niceFloor(lo * 0.9));
        if (yMin >= yMax) yMin = 0;
      }
      final double fyMin = yMin;
      final double fyMax = yMax;
      java.util.function.DoubleUnaryOperator xOf =
          t -> LEFT + (t - tMin) / (tMax - tMin) * plotWidth;
      java.util.function.DoubleUnaryOperator yOf =
          v -> y0 + PANEL - (Math.min(v, fyMax) - fyMin) / (fyMax - fyMin) * PANEL;
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>%n",
              LEFT,
              y0 - 6,
              escape(panel.title())));
      svg.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n",
              LEFT,
              y0,
              plotWidth,
              PANEL));
      for (int k = 0; k <= 4; k++) {
        double v = yMin + (yMax - yMin) * k / 4;
        double y = yOf.applyAsDouble(v);
        svg.append(
            String.format(
                Locale.ROOT,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>%n",
                LEFT,
                y,
                LEFT + plotWidth,
                y));
        svg.append(
            String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                LEFT - 4,
                y + 4,
                label(v)));
      }
      for (int k = 0; k <= 5; k++) {
        double t = tMin + (tMax - tMin) * k / 5;
        double x = xOf.applyAsDouble(t);
        String tl =
            hours
                ? String.format(Locale.ROOT, "%.1f h", t / 3600)
                : minutes
                    ? String.format(Locale.ROOT, "%.1f min", t / 60)
                    : String.format(Locale.ROOT, "%.0f s", t);
        svg.append(
            String.format(
                Locale.ROOT,
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>%n",
                x,
                y0 + PANEL + 13,
                tl));
      }
      if (warmupSeconds >= tMin && warmupSeconds <= tMax) {
        double x = xOf.applyAsDouble(warmupSeconds);
        svg.append(
            String.format(
                Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#aaa\" stroke-dasharray=\"3,3\"/>%n",
                x,
                y0,
                x,
                y0 + PANEL));
        if (p == 0)
          svg.append(
              String.format(
                  Locale.ROOT,
                  "<text x=\"%.1f\" y=\"%d\" fill=\"#888\">warm-up ends</text>%n",
                  x + 3,
                  y0 + 12));
      }
      int legend = 0;
      for (Series s : panel.series()) {
        StringBuilder points = new StringBuilder();
        boolean any = false;
        for (Sample sm : samples) {
          double v = s.value().applyAsDouble(sm);
          if (!Double.isFinite(v)) continue;
          any = true;
          points.append(
              String.format(
                  Locale.ROOT, "%.1f,%.1f ", xOf.applyAsDouble(sm.t()), yOf.applyAsDouble(v)));
        }
        if (!any) continue;
        svg.append(
            String.format(
                Locale.ROOT,
                "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.4\"%s points=\"%s\"/>%n",
                s.color(),
                s.dash().isEmpty() ? "" : " stroke-dasharray=\"" + s.dash() + "\"",
                points.toString().trim()));
        int ly = y0 + 12 + 14 * legend++;
        svg.append(
            String.format(
                Locale.ROOT,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
                LEFT + plotWidth + 8,
                ly - 4,
                LEFT + plotWidth + 26,
                ly - 4,
                s.color(),
                s.dash().isEmpty() ? "" : " stroke-dasharray=\"" + s.dash() + "\""));
        svg.append(
            String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\">%s</text>%n",
                LEFT + plotWidth + 30,
                ly,
                escape(s.name())));
      }
      if (panel.fit() != null && Double.isFinite(panel.fit()[0]) && warmupSeconds >= tMin) {
        double a = panel.fit()[0];
        double b = panel.fit()[1];
        svg.append(
            String.format(
                Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-dasharray=\"5,3\"/>%n",
                xOf.applyAsDouble(warmupSeconds),
                yOf.applyAsDouble(a * warmupSeconds + b),
                xOf.applyAsDouble(tMax),
                yOf.applyAsDouble(a * tMax + b)));
        int ly = y0 + 12 + 14 * legend;
        svg.append(
            String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\">fit %+.2f MB/h</text>%n",
                LEFT + plotWidth + 8,
                ly,
                a * 3600));
      }
    }
    svg.append("</svg>\n");
    Files.writeString(file, svg);
  }

  private static double finite(double v) {
    return Double.isFinite(v) ? v : 0;
  }

  private static double niceCeiling(double v) {
    double step = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10})
      if (m * step >= v) return m * step;
    return 10 * step;
  }

  private static double niceFloor(double v) {
    if (v <= 0) return 0;
    double step = Math.pow(10, Math.floor(Math.log10(v)));
    return Math.floor(v / step) * step;
  }

  private static String label(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e7) return String.valueOf((long) v);
    return String.format(Locale.ROOT, Math.abs(v) < 10 ? "%.2f" : "%.1f", v);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
