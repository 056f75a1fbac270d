// SPDX-License-Identifier: MIT
/*
 * xdrv-repod HTML suites (repo-server/repod_html.c): the escaping of text and attribute values
 * (markup, quotes, control bytes, terminal escapes, invalid UTF-8), URL encoding, the small
 * formatters (sizes, distinguished names, version order), and the page builders fed hostile
 * and ordinary driver models directly, without a database.
 */
#include "../xtest.h"
#include "../../repo-server/repod_html.h"

#include <stdlib.h>
#include <string.h>

static char *esc(const char *s)
{
	struct hbuf b = {0};
	hbuf_esc(&b, s);
	return b.p ? b.p : strdup(""); /* nothing appended: no buffer */
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* No byte of the page is a control character other than the newlines between tags. */
static bool no_controls(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n') || *s == 0x7f)
			return false;
	return true;
}

static void test_esc_escapes_markup_and_quotes(void)
{
	char *s = esc("<script>alert(\"x\")</script> & 'q'");
	CU_ASSERT_STRING_EQUAL(
		s, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;");
	free(s);
}

static void test_esc_replaces_control_bytes_and_terminal_escapes(void)
{
	/* newline and tab become spaces (values are shown on one line); ESC, BEL, DEL and NUL-free
	 * C0 bytes become U+FFFD, so "\x1b[31m" cannot colour a terminal showing the source */
	char *s = esc("a\nb\tc\x1b[31mred\x07\x7f\r");
	CU_ASSERT_STRING_EQUAL(s, "a b c\xef\xbf\xbd[31mred\xef\xbf\xbd\xef\xbf\xbd ");
	free(s);
}

static void test_esc_replaces_invalid_utf8_and_c1_controls(void)
{
	/* kept: é, €, U+1F600; replaced: overlong '/', C1 CSI (U+009B), a surrogate, a cut-off
	 * sequence, a lone continuation byte, 0xff */
	char *s =
		esc("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xc0\xaf|\xc2\x9b|\xed\xa0\x80|\xe2\x82|"
		    "\x80|\xff");
	CU_ASSERT_STRING_EQUAL(s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xef\xbf\xbd\xef\xbf\xbd|"
				  "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
				  "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd");
	free(s);
}

static void test_esc_of_null_appends_nothing(void)
{
	struct hbuf b = {0};
	hbuf_puts(&b, "x");
	hbuf_esc(&b, NULL);
	CU_ASSERT_STRING_EQUAL(b.p, "x");
	free(b.p);
}

static void test_url_percent_encodes_all_but_unreserved(void)
{
	struct hbuf b = {0};
	hbuf_url(&b, "a-b_c.d~e f/\"<>'&?#%\x1b\xc3\xa9");
	CU_ASSERT_STRING_EQUAL(b.p, "a-b_c.d~e%20f%2F%22%3C%3E%27%26%3F%23%25%1B%C3%A9");
	free(b.p);
}

static void test_human_size_uses_binary_units(void)
{
	char s[32];
	repod_human_size(0, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0 B");
	repod_human_size(1023, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "1023 B");
	repod_human_size(1024, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "1.0 KiB");
	repod_human_size(19868, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "19.4 KiB");
	repod_human_size(5u << 20, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "5.0 MiB");
	repod_human_size(3ull << 30, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "3.0 GiB");
}

static void test_dn_summary_gives_cn_and_o(void)
{
	char s[256];
	repod_dn_summary("O = xdrv dev vendor, CN = driver signer", s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "driver signer (xdrv dev vendor)");
	repod_dn_summary("C = DE, O = \"Acme, Inc.\", CN = release signer", s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "release signer (Acme, Inc.)");
	repod_dn_summary("C = DE, O = Acme", s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "Acme");
	repod_dn_summary("CN = only\\, escaped", s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "only, escaped");
	repod_dn_summary("C = DE, L = Berlin", s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "C = DE, L = Berlin");
	/* "CNX" is not "CN"; an unterminated quote ends at the end */
	repod_dn_summary("CNX = no, O = \"open", s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "open");
	repod_dn_summary(NULL, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "");
}

static void test_version_cmp_is_numeric(void)
{
	CU_ASSERT_TRUE(repod_version_cmp("1.10.0", "1.9.2") > 0);
	CU_ASSERT_TRUE(repod_version_cmp("1.0.0", "1.0.1") < 0);
	CU_ASSERT_TRUE(repod_version_cmp("2.0.0", "2.0.0") == 0);
	CU_ASSERT_TRUE(repod_version_cmp("1.0.0", "1.0.0-rc1") < 0);
}

/* ---- page builders ------------------------------------------------------------------------- */
static json_t *version(const char *v, json_int_t abi, json_int_t size, json_int_t created,
		       const char *sha)
{
	return json_pack("{s:s, s:I, s:I, s:s, s:s, s:I, s:s, s:s, s:I}", "version", v,
			 "abi_version", abi, "security_version", (json_int_t)3, "signer",
			 "O = Acme Ltd, CN = release signer", "issuer",
			 "O = Acme Ltd, CN = Acme driver CA", "size", size, "sha256", sha, "url",
			 "/targets/acme/x.xdrv", "created", created);
}

static const char sha_a[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char sha_b[] = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

static void test_driver_page_orders_versions_and_formats_values(void)
{
	json_t *man = json_loads(
		"{\"match\": [{\"bus\": \"pci\", \"vendor\": 4107, \"device\": 34, \"class_code\": "
		"0,"
		" \"class_mask\": 0, \"compatible\": null}],"
		" \"params\": [{\"name\": \"rx_ring\", \"type\": \"u32\", \"default\": 256,"
		" \"min\": 16, \"max\": 4096, \"desc\": \"receive ring entries\"},"
		" {\"name\": \"big\", \"type\": \"u64\", \"default\": \"18446744073709551615\","
		" \"min\": \"0\", \"max\": \"18446744073709551615\", \"desc\": null}]}",
		0, NULL);
	json_t *v1 = version("1.9.0", 1000000, 100, 1700000000, sha_a);
	json_t *v2 = version("1.10.0", 1002003, 20480, 1800000000, sha_b);
	json_object_set_new(v2, "manifest", man);
	json_t *d = json_pack("{s:s, s:s, s:[o, o]}", "name", "dp83820", "vendor", "acme",
			      "versions", v1, v2);
	struct repod_page pg = {.base_url = "http://repo.example:8470"};
	char *h = NULL;
	CU_ASSERT_EQUAL_FATAL(repod_html_driver(d, &pg, &h), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(
		h, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
	/* highest version first, whatever the model's order */
	char *a = strstr(h, ">1.10.0</a>"), *b = strstr(h, ">1.9.0</a>");
	CU_ASSERT_TRUE(a && b && a < b);
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<dd id=\"latest-version\">1.10.0</dd>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<dd id=\"abi\">1.2.3</dd>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<dd id=\"size\">20.0 KiB</dd>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, ">release signer (Acme Ltd)</dd>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, ">Acme driver CA (Acme Ltd)</dd>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "title=\"O = Acme Ltd, CN = release signer\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "datetime=\"2027-01-15T08:00:00Z\""));
	/* short digest, full one in the title and behind the copy button */
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "title=\"sha256:fedcba9876543210fedcba98"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, ">fedcba987654\xe2\x80\xa6</code>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "data-copy=\"fedcba9876543210fedcba98"));
	/* match and parameters of the latest version */
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<code>100b</code>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<code>0022</code>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<code>rx_ring</code></td><td data-label=\"Type\">u32"
					 "</td><td data-label=\"Default\">256</td><td "
					 "data-label=\"Range\">16 \xe2\x80\xa6 4096</td>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "18446744073709551615"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "PCI driver for 100b:0022 \xc2\xb7 2 parameters"));
	/* the install snippet names the repository and the driver */
	CU_ASSERT_PTR_NOT_NULL(
		strstr(h, "<code id=\"install-cmd\">xdrv repo add main http://repo.example:8470 "
			  "--root 1.root.json&#10;xdrv install dp83820</code>"));
	CU_ASSERT_TRUE(no_controls(h));
	free(h);
	json_decref(d);
}

static void test_driver_page_escapes_hostile_package_strings(void)
{
	/* every string a package or its certificate can carry, each trying a different escape */
	const char *desc = "<script>alert('x')</script>\"\nline two\x1b[2J\x1b]0;title\x07";
	json_t *man = json_pack(
		"{s:s, s:[{s:s, s:i, s:i, s:i, s:i, s:s}], s:[{s:s, s:s, s:s, s:s, s:s, s:s}]}",
		"description", "<b>about</b>\x1b[1m \"x\" onload='y'", "match", "bus", "platform",
		"vendor", 0, "device", 0, "class_code", 0, "class_mask", 0, "compatible",
		"\"><img src=x onerror=alert(1)>", "params", "name", "p\"><script>1</script>",
		"type", "<i>u32</i>", "default", "<b>1</b>", "min", "' onfocus='x", "max",
		"\x1b[31m9", "desc", desc);
	json_t *v = json_pack("{s:s, s:I, s:s, s:s, s:I, s:s, s:s, s:I, s:o}", "version",
			      "1.0.0\" onmouseover=\"alert(1)", "abi_version", (json_int_t)1000000,
			      "signer", "CN = <script>evil()</script>, O = \"Evil\x1b[5m Corp\"",
			      "issuer", "CN = x' onclick='y", "size", (json_int_t)1, "sha256",
			      "<svg onload=alert(1)>\"", "url", "javascript:alert(1)", "created",
			      (json_int_t)0, "manifest", man);
	json_t *d = json_pack("{s:s, s:s, s:[o]}", "name", "x\"><script>alert(1)</script>",
			      "vendor", "<b>vendor</b>\n\x1b[1m", "versions", v);
	struct repod_page pg = {.base_url = "http://h\"><script>x</script>"};
	char *h = NULL;
	CU_ASSERT_EQUAL_FATAL(repod_html_driver(d, &pg, &h), 0);
	/* the only tag named script is ours; no other tag was opened by a value */
	CU_ASSERT_EQUAL(count(h, "<script"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<script src=\"/static/repo.js\" defer></script>"));
	CU_ASSERT_PTR_NULL(strstr(h, "<img"));
	CU_ASSERT_PTR_NULL(strstr(h, "<svg"));
	CU_ASSERT_PTR_NULL(strstr(h, "<b>"));
	CU_ASSERT_PTR_NULL(strstr(h, "<i>"));
	/* no value left its attribute: every quote from a package is a reference */
	CU_ASSERT_PTR_NULL(strstr(h, "onmouseover=\""));
	CU_ASSERT_PTR_NULL(strstr(h, "onfocus='"));
	CU_ASSERT_PTR_NULL(strstr(h, "onclick='"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "1.0.0&quot; onmouseover=&quot;alert(1)"));
	/* the description: markup shown as text, the newline a space, terminal escapes gone */
	CU_ASSERT_PTR_NOT_NULL(strstr(h,
				      "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot; "
				      "line two\xef\xbf\xbd[2J\xef\xbf\xbd]0;title\xef\xbf\xbd"));
	CU_ASSERT_TRUE(no_controls(h));
	/* a link only to our own paths: the javascript: URL is not made a link */
	CU_ASSERT_PTR_NULL(strstr(h, "href=\"javascript:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "&lt;script&gt;evil()&lt;/script&gt; (Evil\xef\xbf\xbd[5m"
					 " Corp)"));
	/* the manifest's description: text, never markup, never a terminal escape */
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "&lt;b&gt;about&lt;/b&gt;\xef\xbf\xbd[1m &quot;x&quot; "
					 "onload=&#39;y&#39; \xc2\xb7 1 parameter"));
	free(h);
	json_decref(d);
}

static void test_index_lists_latest_versions_and_keeps_the_query(void)
{
	json_t *d1 = json_pack("{s:s, s:s, s:[o, o]}", "name", "uart16550", "vendor", "acme",
			       "versions", version("1.1.0", 1000000, 4096, 1800000000, sha_a),
			       version("0.9.0", 1000000, 4096, 1700000000, sha_b));
	json_t *drivers = json_pack("[o]", d1);
	json_t *vendors = json_pack("[{s:s, s:i}]", "name", "acme", "versions", 2);
	const char *q = "uart\"><script>x</script>";
	struct repod_page pg = {.q = q, .vendors = vendors};
	char *h = NULL;
	CU_ASSERT_EQUAL_FATAL(repod_html_index(drivers, &pg, &h), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<form class=\"search\" action=\"/\" method=\"get\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "value=\"uart&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""));
	CU_ASSERT_EQUAL(count(h, "<script"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "1 driver matches"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<a class=\"name\" href=\"/drivers/uart16550\">"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<span class=\"ver\">1.1.0</span>"));
	CU_ASSERT_PTR_NULL(strstr(h, "0.9.0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "2 versions"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "4.0 KiB"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "href=\"/?q=acme\">acme</a>"));
	free(h);
	/* nothing found, and nothing published */
	json_t *none = json_array();
	CU_ASSERT_EQUAL_FATAL(repod_html_index(none, &pg, &h), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "0 drivers match"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "No driver or vendor matches"));
	free(h);
	CU_ASSERT_EQUAL_FATAL(repod_html_index(none, NULL, &h), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "No drivers published yet"));
	CU_ASSERT_PTR_NULL(strstr(h, "result-count"));
	free(h);
	json_decref(none);
	json_decref(drivers);
	json_decref(vendors);
}

static void test_not_found_page_escapes_its_message(void)
{
	char *h = NULL;
	CU_ASSERT_EQUAL_FATAL(repod_html_not_found("No driver named <x\x1b>", &h), 0);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(h, "<p id=\"not-found\">No driver named &lt;x\xef\xbf\xbd&gt;"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<meta name=\"viewport\""));
	free(h);
}

XTEST_SUITE(repod_html_escape, NULL, NULL, XTEST(test_esc_escapes_markup_and_quotes),
	    XTEST(test_esc_replaces_control_bytes_and_terminal_escapes),
	    XTEST(test_esc_replaces_invalid_utf8_and_c1_controls),
	    XTEST(test_esc_of_null_appends_nothing),
	    XTEST(test_url_percent_encodes_all_but_unreserved))

XTEST_SUITE(repod_html_format, NULL, NULL, XTEST(test_human_size_uses_binary_units),
	    XTEST(test_dn_summary_gives_cn_and_o), XTEST(test_version_cmp_is_numeric))

XTEST_SUITE(repod_html_pages, NULL, NULL,
	    XTEST(test_driver_page_orders_versions_and_formats_values),
	    XTEST(test_driver_page_escapes_hostile_package_strings),
	    XTEST(test_index_lists_latest_versions_and_keeps_the_query),
	    XTEST(test_not_found_page_escapes_its_message))
