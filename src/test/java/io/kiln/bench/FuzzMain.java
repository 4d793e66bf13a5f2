package io.kiln.bench;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs one Jazzer fuzz test class outside Maven for {@code bench/fuzz.sh}, so that a long
 * fuzzing run is one plain JVM (Jazzer fuzzes one target per JVM) and leaves the build free.
 * Exits 1 when the target reports a finding.
 */
public final class FuzzMain {
  private FuzzMain() {}

  public static void main(String[] args) throws ClassNotFoundException {
    if (args.length != 1) {
      System.err.println("usage: FuzzMain FUZZ_TEST_CLASS");
      System.exit(2);
    }
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
        .selectors(selectClass(Class.forName(args[0]))).build();
    Launcher launcher = LauncherFactory.create();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    launcher.execute(request, listener);
    TestExecutionSummary summary = listener.getSummary();
    summary.printTo(new PrintWriter(System.out, true));
    summary.printFailuresTo(new PrintWriter(System.out, true), 40);
    System.exit(summary.getTotalFailureCount() == 0 && summary.getTestsSucceededCount() > 0
        ? 0 : 1);
  }
}
