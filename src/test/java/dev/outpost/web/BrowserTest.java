package dev.outpost.web;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** A browser test class: the shared {@link WebSite} and one headless Chromium for the class. */
@ExtendWith(WebSite.class)
abstract class BrowserTest {

  static WebSite web;
  static Browser browser;

  @BeforeAll
  static void startBrowser(WebSite site) {
    web = site;
    browser = Browser.start();
  }

  @AfterAll
  static void stopBrowser() {
    if (browser != null) {
      browser.close();
      browser = null;
    }
  }
}
