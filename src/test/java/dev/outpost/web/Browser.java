package dev.outpost.web;

import dev.outpost.testing.Poll;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium driven through Debian's chromedriver (both paths set, so Selenium Manager never
 * downloads anything), with a download directory of its own. One per test class.
 */
final class Browser implements AutoCloseable {

  static final String CHROMIUM = "/usr/bin/chromium";
  static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  static final Duration WAIT = Duration.ofSeconds(20);

  final ChromeDriver driver;
  final Path downloads;
  private final Path profile;

  private Browser(ChromeDriver driver, Path downloads, Path profile) {
    this.driver = driver;
    this.downloads = downloads;
    this.profile = profile;
  }

  static Browser start() {
    for (String tool : List.of(CHROMIUM, CHROMEDRIVER)) {
      if (!Files.isExecutable(Path.of(tool))) {
        throw new IllegalStateException(tool + " is missing: install Debian's chromium and chromium-driver "
            + "(./run-tests does)");
      }
    }
    try {
      Path downloads = Files.createTempDirectory("outpost-downloads");
      Path profile = Files.createTempDirectory("outpost-chromium");
      ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM)
          .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--ignore-certificate-errors", "--user-data-dir=" + profile, "--window-size=1280,900",
              "--no-first-run", "--disable-extensions", "--disable-background-networking");
      options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
      options.setExperimentalOption("prefs", Map.of("download.default_directory", downloads.toString(),
              "download.prompt_for_download", false));
      ChromeDriverService service = new ChromeDriverService.Builder()
          .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
      ChromeDriver driver = new ChromeDriver(service, options);
      driver.executeCdpCommand("Browser.setDownloadBehavior", Map.of("behavior", "allow",
          "downloadPath", downloads.toString()));
      return new Browser(driver, downloads, profile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void open(String url) {
    driver.get(url);
  }

  /** The first element matching a CSS selector once it is there and shown. */
  WebElement await(String css) throws InterruptedException {
    WebElement[] found = new WebElement[1];
    until("element " + css + " shown", () -> {
      try {
        WebElement element = driver.findElement(By.cssSelector(css));
        found[0] = element;
        return element.isDisplayed();
      } catch (NoSuchElementException | StaleElementReferenceException e) {
        return false;
      }
    });
    return found[0];
  }

  /** Polls a condition; a timeout's message tells what the page showed and logged. */
  void until(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    try {
      Poll.until(what, WAIT, condition);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + diagnostics(), e);
    }
  }

  void awaitGone(String css) throws InterruptedException {
    until("element " + css + " gone", () -> driver.findElements(By.cssSelector(css)).stream()
        .noneMatch(element -> {
          try {
            return element.isDisplayed();
          } catch (StaleElementReferenceException e) {
            return false;
          }
        }));
  }

  /** Waits until the first element matching a CSS selector shows exactly this text. */
  void awaitText(String css, String expected) throws InterruptedException {
    until(css + " shows '" + expected + "'", () -> {
      try {
        return expected.equals(driver.findElement(By.cssSelector(css)).getText());
      } catch (NoSuchElementException | StaleElementReferenceException e) {
        return false;
      }
    });
  }

  /** An attribute of the first element matching a CSS selector, or null when there is none. */
  String attribute(String css, String name) {
    try {
      return driver.findElement(By.cssSelector(css)).getAttribute(name);
    } catch (NoSuchElementException | StaleElementReferenceException e) {
      return null;
    }
  }

  List<WebElement> all(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  void type(String css, String text) throws InterruptedException {
    WebElement field = await(css);
    field.clear();
    field.sendKeys(text);
  }

  /** Picks the option with this text in a select. */
  void choose(String css, String optionText) throws InterruptedException {
    WebElement select = await(css);
    until("option " + optionText + " in " + css, () -> select.findElements(By.tagName("option")).stream()
        .anyMatch(option -> option.getText().equals(optionText)));
    select.findElements(By.tagName("option")).stream().filter(option -> option.getText().equals(optionText))
        .findFirst().orElseThrow().click();
  }

  void click(String css) throws InterruptedException {
    await(css).click();
  }

  Object script(String javascript, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(javascript, args);
  }

  /** Runs an async script; the script calls {@code arguments[arguments.length - 1]} with its result. */
  Object asyncScript(String javascript, Object... args) {
    return ((JavascriptExecutor) driver).executeAsyncScript(javascript, args);
  }

  void signIn(String username, String password) throws InterruptedException {
    type("#signin-username", username);
    type("#signin-password", password);
    click("#signin-submit");
  }

  /** What the page showed and logged, for a failing test's message. */
  String diagnostics() {
    StringBuilder text = new StringBuilder("page ").append(driver.getCurrentUrl()).append('\n');
    try {
      driver.manage().logs().get("browser").forEach(entry -> text.append("console: ").append(entry.getMessage())
          .append('\n'));
    } catch (RuntimeException e) {
      text.append("console unavailable: ").append(e.getMessage()).append('\n');
    }
    return text.append(driver.findElement(By.tagName("body")).getText()).toString();
  }

  /** Waits for the page to show either the sign-in form or a signed-in user, and signs out in the latter case. */
  void signOutIfSignedIn() throws InterruptedException {
    until("sign-in form or sign-out button", () -> !all("#signin-username").isEmpty() || !all("#sign-out").isEmpty());
    if (!all("#sign-out").isEmpty()) {
      click("#sign-out");
      await("#signin-username");
    }
  }

  /** Console messages since the last call that report a Content-Security-Policy violation. */
  List<String> cspViolations() {
    return driver.manage().logs().get("browser").getAll().stream().map(entry -> entry.getMessage())
        .filter(message -> message.contains("Content Security Policy")).toList();
  }

  void phoneSized() {
    driver.manage().window().setSize(new Dimension(390, 844));
  }

  void desktopSized() {
    driver.manage().window().setSize(new Dimension(1280, 900));
  }

  /** Whether the page is wider than the window (a phone would scroll sideways). */
  boolean scrollsSideways() {
    return (Boolean) script("return document.documentElement.scrollWidth > document.documentElement.clientWidth + 1;");
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      deleteTree(downloads);
      deleteTree(profile);
    }
  }

  private static void deleteTree(Path root) {
    try (var files = Files.walk(root)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
