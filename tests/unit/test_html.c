/* Unit tests for the HTML to text conversion (sanitizers/html/html_text.h)
 * and its charset prescan (html_charset.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unistd.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "engine/engine.h"
#include "engine_fixture.h"
#include "sanitizers/html/html_charset.h"
#include "sanitizers/html/html_text.h"
#include "sanitizers/html/html_url.h"

/* No '<' in the output may start markup: "<!", "<?", or a plain tag name
 * after "<" or "</" ending like a tag name. */
static void assert_no_tag(const char *s)
{
    for (const char *p = strchr(s, '<'); p != NULL; p = strchr(p + 1, '<')) {
        if (p[1] == '!' || p[1] == '?')
            fail_msg("markup in output: \"%.20s\"", p);
        const char *q = p + 1 + (p[1] == '/');
        size_t n = strspn(q, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
        if (n == 0 || !((q[0] | 0x20) >= 'a' && (q[0] | 0x20) <= 'z'))
            continue;
        if (q[n] == '\0' || strchr(" \t\n\r\f/>", q[n]) != NULL)
            fail_msg("tag in output: \"%.20s\"", p);
    }
}

/* Converts and returns the text (free it); asserts success and that no
 * markup is left in it. */
static char *conv_n(const char *html, size_t len, const char *label, struct mg_html_stats *st)
{
    struct mg_buf b;
    struct mg_html_stats local;
    if (st == NULL)
        st = &local;
    mg_buf_init(&b);
    bool ok = mg_html_to_text((const uint8_t *)html, len, label, NULL, &b, st);
    if (!ok)
        fprintf(stderr, "conversion failed: %s\n", mg_html_error_name(st->error));
    assert_true(ok);
    assert_int_equal(st->error, MG_HTML_OK);
    mg_buf_cstr(&b);
    size_t n;
    char *s = (char *)mg_buf_steal(&b, &n);
    if (s == NULL)
        s = strdup("");
    assert_non_null(s);
    assert_true(mg_utf8_valid((const uint8_t *)s, strlen(s)));
    assert_no_tag(s);
    return s;
}

static char *conv(const char *html, struct mg_html_stats *st)
{
    return conv_n(html, strlen(html), NULL, st);
}

#define EXPECT(html, want) do {                 \
        char *s_ = conv(html, NULL);            \
        assert_string_equal(s_, want);          \
        free(s_);                               \
    } while (0)

static void test_paragraphs(void **state)
{
    (void)state;
    EXPECT("<p>one</p><p>two</p>", "one\n\ntwo\n");
    EXPECT("<div>a</div><div>b</div>", "a\nb\n");
    EXPECT("a<br>b<br><br>c", "a\nb\n\nc\n");
    EXPECT("<p>  lots   of\n\t space  </p>", "lots of space\n");
    EXPECT("<h1>Title</h1><p>body <b>bold</b> <i>it</i></p>", "Title\n\nbody bold it\n");
    EXPECT("<p></p><p></p><div><p>x</p></div><p></p>", "x\n");
    EXPECT("<blockquote><p>quoted</p><p>more</p></blockquote>after", "> quoted\n>\n> more\n\nafter\n");
    EXPECT("a<hr>b", "a\n\n----------\n\nb\n");
    /* Japanese wrapped in the source joins without a space, Latin gets one. */
    EXPECT("<p>日本\n語です</p><p>two\nwords</p>", "日本語です\n\ntwo words\n");
    /* Outlook's empty paragraphs leave no lines; no-break spaces indent. */
    EXPECT("<p class=MsoNormal>a<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
           "<p class=MsoNormal>&nbsp;&nbsp;b</p>", "a\n\n  b\n");
}

static void test_lists(void **state)
{
    (void)state;
    EXPECT("<ul><li>a</li><li>b</li></ul>", "- a\n- b\n");
    EXPECT("<ol start=3><li>x<li>y</ol>", "3. x\n4. y\n");
    EXPECT("<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "- a\n  - b\n- c\n");
    EXPECT("<p>before</p><ol><li>one</li></ol><p>after</p>", "before\n\n1. one\n\nafter\n");
    EXPECT("<dl><dt>term</dt><dd>definition</dd></dl>", "term\n  definition\n");
}

static void test_tables(void **state)
{
    (void)state;
    EXPECT("<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>",
           "A | B\n1 | 2\n");
    /* Layout tables: empty cells leave no separators. */
    EXPECT("<table><tr><td></td><td>x</td><td> </td></tr><tr><td><table><tr><td>in</td></tr>"
           "</table></td></tr></table>", "x\n\nin\n");
    EXPECT("<p>a</p><table><tr><td>c1</td><td>c2</td></tr></table><p>b</p>",
           "a\n\nc1 | c2\n\nb\n");
}

static void test_pre(void **state)
{
    (void)state;
    EXPECT("<pre>\n  a  b\n\n c</pre>after", "  a  b\n\n c\n\nafter\n");
    EXPECT("<p>x</p><pre>int  main() {\n\treturn 0;\n}\n</pre>",
           "x\n\nint  main() {\n\treturn 0;\n}\n");
    EXPECT("<blockquote><pre>q1\nq2</pre></blockquote>", "> q1\n> q2\n");
}

static void test_links(void **state)
{
    (void)state;
    struct mg_html_stats st;
    EXPECT("<a href='https://example.com/x'>site</a>", "site <https://example.com/x>\n");
    EXPECT("<a href='https://example.com/'>https://example.com/</a>", "https://example.com/\n");
    EXPECT("<a href='https://example.com/'>example.com</a>", "example.com\n");
    EXPECT("<a href='mailto:a@example.jp'>a@example.jp</a>", "a@example.jp\n");
    EXPECT("<a href='mailto:a@example.jp'>mail us</a>", "mail us <mailto:a@example.jp>\n");
    /* the real target of a disguised link is shown */
    EXPECT("<a href='http://evil.example/'>https://bank.example/</a>",
           "https://bank.example/ <http://evil.example/>\n");
    EXPECT("<a href='https://a.example/'><img src='x.png'></a>", "<https://a.example/>\n");
    EXPECT("<a href='https://a.example/'><img src='x.png' alt='Logo'></a>",
           "[Logo] <https://a.example/>\n");
    /* characters that would break out of <...> or hide the target */
    EXPECT("<a href='https://a.example/x y<b>\xE2\x80\xAE'>t</a>",
           "t <https://a.example/x%20y%3Cb%3E%E2%80%AE>\n");
    /* an empty link is invisible in a browser */
    EXPECT("<a href='https://a.example/'></a>x", "x\n");
    /* relative and fragment links say nothing in a text */
    EXPECT("<a href='#top'>top</a> <a href='page.html'>page</a>", "top page\n");

    char *s = conv("<a href=' JaVa\tScript:alert(1)'>click</a> <a href='data:text/html,x'>d</a>"
                   " <a href='file:///etc/passwd'>f</a> <a href='vbscript:x'>v</a>", &st);
    assert_string_equal(s, "click d f v\n");
    assert_int_equal(st.links, 0);
    assert_int_equal(st.links_dropped, 4);
    assert_int_equal(st.script_urls, 2);
    free(s);
    s = conv("<a href='https://a.example/'>a</a> <a href='http://b.example/'>b</a>", &st);
    assert_int_equal(st.links, 2);
    free(s);
}

static void test_scripts_styles(void **state)
{
    (void)state;
    struct mg_html_stats st;
    char *s = conv("<html><head><title>T</title><style>p{color:red}</style>"
                   "<script>var x='<p>no</p>';</script></head>"
                   "<body onload='x()'><p onclick=\"y()\">a<script>alert(1)</script>b</p>"
                   "<noscript>ns</noscript><template><p>tpl</p></template>"
                   "<iframe src='http://x/'>fr</iframe><object data='x.swf'>ob</object>"
                   "<embed src='y'><form action='http://x/'>label<input name=q value=v>"
                   "<select><option>opt</select><textarea>ta</textarea></form>"
                   "</body></html>", &st);
    assert_string_equal(s, "ab\n\nlabel\n");
    assert_int_equal(st.scripts, 2);
    assert_int_equal(st.styles, 1);
    assert_int_equal(st.handlers, 2);
    assert_int_equal(st.frames, 1);
    assert_int_equal(st.objects, 2);
    assert_int_equal(st.forms, 1);
    free(s);

    s = conv("<scr<script>ipt>alert(1)</script>x<p>after</p>", &st);
    assert_no_tag(s);
    assert_null(strcasestr(s, "<script"));
    assert_non_null(strstr(s, "after"));
    free(s);

    s = conv("<p>a<!-- <script>alert(1)</script> --><!--><b>b</b><!-- x --!>c<!--->d</p>"
             "<!-- <p>unclosed", &st);
    assert_string_equal(s, "abcd\n");
    assert_int_equal(st.scripts, 0);
    free(s);

    /* CDATA is a bogus comment in HTML, as in browsers: up to the first '>' */
    s = conv("a<![CDATA[<script>alert(1)</script>]]>b", &st);
    assert_no_tag(s);
    assert_int_equal(st.scripts, 0);
    free(s);

    s = conv("<svg><script>alert(1)</script><text>svgtext</text></svg>ok", &st);
    assert_string_equal(s, "ok\n");
    assert_int_equal(st.scripts, 1);
    assert_int_equal(st.objects, 1);
    free(s);

    s = conv("<meta http-equiv=refresh content='0;url=http://x/'><p>t</p>", &st);
    assert_string_equal(s, "t\n");
    assert_int_equal(st.refreshes, 1);
    free(s);

    /* Word's conditional markup */
    EXPECT("<p><![if !supportLists]><span>1.&nbsp;</span><![endif]>item</p>", "1. item\n");
    EXPECT("<p>a</ 3>b</>c</p>", "abc\n");
    /* an unclosed script hides the rest, as in a browser */
    EXPECT("<p>shown</p><script>alert(1)<p>never", "shown\n");
}

static void test_entities_and_markup_text(void **state)
{
    (void)state;
    struct mg_html_stats st;
    char *s = conv("<p>&lt;b&gt; &amp; &eacute; &#x3042;&#12354; &quot;q&quot; x&nbsp;y</p>", &st);
    assert_string_equal(s, "\xEF\xBC\x9C" "b> & \xC3\xA9 \xE3\x81\x82\xE3\x81\x82 \"q\" x y\n");
    assert_int_equal(st.tags_neutralized, 1);
    free(s);
    /* '<' from text, split over elements, still cannot open a tag */
    s = conv("<p>&lt;<b>script</b>&gt;alert(1)&lt;/script&gt; 1 &lt; 2</p>", &st);
    assert_no_tag(s);
    assert_non_null(strstr(s, "1 < 2"));
    free(s);
    /* addresses in angle brackets are not tags */
    s = conv("<p><b>From:</b> 佐藤 &lt;sato@example.lg.jp&gt;<br>&lt;/b&gt; &lt;!-- &lt;?x</p>", &st);
    assert_string_equal(s, "From: 佐藤 <sato@example.lg.jp>\n\xEF\xBC\x9C/b> \xEF\xBC\x9C!-- \xEF\xBC\x9C?x\n");
    assert_no_tag(s);
    free(s);
    s = conv("<p>ctl\x01\x7f&#1;&#x85;x</p>", &st);
    assert_string_equal(s, "ctlx\n");
    assert_true(st.controls >= 1);
    free(s);
    EXPECT("<ruby>漢字<rt>かんじ</rt></ruby>と<ruby>字<rp>（</rp><rt>じ</rt><rp>）</rp></ruby>",
           "漢字(かんじ)と字（じ）\n");
}

static void test_images(void **state)
{
    (void)state;
    struct mg_html_stats st;
    char *s = conv("<body background='http://x/bg.png'><p>"
                   "<img src='http://t.example/p.gif' width=1 height=1>"
                   "<img src='https://x/logo.png' alt=' Company  logo '>"
                   "<img src='cid:part1@x' alt=''><img src='data:image/png;base64,AAAA'>"
                   " t</p></body>", &st);
    assert_string_equal(s, "[Company logo] t\n");
    assert_int_equal(st.images_remote, 3);
    assert_int_equal(st.images_cid, 1);
    assert_int_equal(st.images_other, 1);
    free(s);
}

/* ① ㈱ テスト in CP932 */
#define SJIS_TEXT "\x87\x40\x87\x8A\x83\x65\x83\x58\x83\x67"
/* the same in ISO-2022-JP, NEC row 13 as Outlook writes it */
#define JIS_TEXT "\x1B$B-!-j%F%9%H\x1B(B"
#define UTF8_TEXT "\xE2\x91\xA0\xE3\x88\xB1\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88"

static void test_meta_charset(void **state)
{
    (void)state;
    struct mg_html_stats st;
    char *s = conv("<html><head><meta charset=\"Shift_JIS\"></head><body><p>" SJIS_TEXT
                   "</p></body></html>", &st);
    assert_string_equal(s, UTF8_TEXT "\n");
    assert_int_equal(st.charset_source, MG_HTML_CS_META);
    free(s);

    s = conv("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
             "charset=iso-2022-jp\"></head><body><p>" JIS_TEXT "</p></body></html>", &st);
    assert_string_equal(s, UTF8_TEXT "\n");
    assert_int_equal(st.charset_source, MG_HTML_CS_META);
    free(s);

    /* The MIME label wins over the meta when it decodes cleanly... */
    s = conv_n("<meta charset=euc-jp><p>" JIS_TEXT, strlen("<meta charset=euc-jp><p>" JIS_TEXT),
               "ISO-2022-JP", &st);
    assert_string_equal(s, UTF8_TEXT "\n");
    assert_int_equal(st.charset_source, MG_HTML_CS_LABEL);
    free(s);
    /* ... and the meta is used when the label is wrong. */
    const char *h = "<meta charset=shift_jis><p>" SJIS_TEXT;
    s = conv_n(h, strlen(h), "utf-8", &st);
    assert_string_equal(s, UTF8_TEXT "\n");
    assert_int_equal(st.charset_source, MG_HTML_CS_META);
    free(s);

    /* A <meta> past the prescan window cannot switch libxml2 away from
     * the UTF-8 we give it. */
    struct mg_buf b;
    mg_buf_init(&b);
    mg_buf_puts(&b, "<!-- ");
    for (int i = 0; i < 120; i++)
        mg_buf_puts(&b, "padding ");
    mg_buf_puts(&b, "--><meta charset=shift_jis><meta http-equiv=content-type "
                    "content='text/html; charset=euc-jp'><p>日本語 " UTF8_TEXT "</p>");
    s = conv_n((const char *)b.data, b.len, NULL, &st);
    assert_string_equal(s, "日本語 " UTF8_TEXT "\n");
    assert_int_equal(st.charset_source, MG_HTML_CS_DETECTED);
    free(s);
    mg_buf_free(&b);

    /* no label, no meta: detection */
    s = conv("<p>" SJIS_TEXT "</p>", &st);
    assert_string_equal(s, UTF8_TEXT "\n");
    assert_int_equal(st.charset_source, MG_HTML_CS_DETECTED);
    free(s);

    /* BOM */
    s = conv("\xEF\xBB\xBF<p>" UTF8_TEXT "</p>", &st);
    assert_string_equal(s, UTF8_TEXT "\n");
    assert_int_equal(st.charset_source, MG_HTML_CS_BOM);
    free(s);
    static const char u16[] = "\xFF\xFE<\0p\0>\0B\x30";    /* UTF-16LE "<p>あ"... */
    s = conv_n(u16, sizeof(u16) - 1, NULL, &st);
    assert_string_equal(s, "\xE3\x81\x82\n");
    free(s);
}

static void test_prescan(void **state)
{
    (void)state;
    char l[64];
#define SCAN(s) mg_html_prescan_meta((const uint8_t *)(s), strlen(s), l, sizeof(l))
    assert_true(SCAN("<meta charset=Shift_JIS>"));
    assert_string_equal(l, "shift_jis");
    assert_true(SCAN("<META HTTP-EQUIV='Content-Type' CONTENT='text/html;charset=\"EUC-JP\"'>"));
    assert_string_equal(l, "euc-jp");
    assert_true(SCAN("<meta content=\"text/html; charset = iso-2022-jp\" http-equiv=content-type />"));
    assert_string_equal(l, "iso-2022-jp");
    /* content without http-equiv is not a declaration */
    assert_false(SCAN("<meta content='text/html; charset=euc-jp'>"));
    /* commented out, inside another tag's attribute, a PI */
    assert_false(SCAN("<!-- <meta charset=euc-jp> -->"));
    assert_false(SCAN("<div title='<meta charset=euc-jp>'>"));
    assert_false(SCAN("<?xml <meta charset=euc-jp> ?>x"));
    assert_true(SCAN("<!--><meta charset=euc-jp>"));
    assert_string_equal(l, "euc-jp");
    /* the first of repeated attributes counts */
    assert_true(SCAN("<meta charset=utf-8 charset=euc-jp>"));
    assert_string_equal(l, "utf-8");
    assert_true(SCAN("<meta charset=utf-16le>"));
    assert_string_equal(l, "utf-8");
    assert_false(SCAN("<meta charset=\"euc-jp"));              /* cut */
    assert_false(SCAN("<meta name=charset content=euc-jp>"));
    assert_false(SCAN("<metaa charset=euc-jp>"));
#undef SCAN
    char big[2048];
    memset(big, ' ', sizeof(big));
    memcpy(big + 1100, "<meta charset=euc-jp>", 21);
    assert_false(mg_html_prescan_meta((const uint8_t *)big, sizeof(big), l, sizeof(l)));
}

static void nest(struct mg_buf *b, const char *open, int levels)
{
    mg_buf_reset(b);
    mg_buf_puts(b, "<p>before</p>");
    for (int i = 0; i < levels; i++)
        mg_buf_puts(b, open);
    mg_buf_puts(b, "deep");
    for (int i = 0; i < levels; i++)
        mg_buf_puts(b, "</div>");
    mg_buf_puts(b, "<p>after</p>");
    assert_false(mg_buf_failed(b));
}

static void test_chunk_boundaries(void **state)
{
    (void)state;
    /* The parser is fed 16 KiB at a time: a script, a long Japanese text
     * run and multi-byte characters across the boundaries, at 3 offsets. */
    for (int pad = 0; pad < 3; pad++) {
        struct mg_buf b;
        mg_buf_init(&b);
        for (int i = 0; i < pad; i++)
            mg_buf_putc(&b, 'x');
        mg_buf_puts(&b, "<p>before</p><script>");
        for (int i = 0; i < 3000; i++)
            mg_buf_puts(&b, "var a='<p>hidden</p>';");
        mg_buf_puts(&b, "</script><p>");
        for (int i = 0; i < 5000; i++)
            mg_buf_puts(&b, "日本語テキスト");
        mg_buf_puts(&b, "</p><p>after</p>");
        struct mg_html_stats st;
        char *s = conv_n((const char *)b.data, b.len, NULL, &st);
        assert_null(strstr(s, "hidden"));
        size_t n = 0;
        for (const char *p = strstr(s, "日本語テキスト"); p != NULL; p = strstr(p + 1, "日本語テキスト"))
            n++;
        assert_int_equal(n, 5000);
        assert_non_null(strstr(s, "after"));
        free(s);
        mg_buf_free(&b);
    }
}

static void test_deep_nesting(void **state)
{
    (void)state;
    static const char *const opens[] = {"<div>", "<blockquote>", "<ul><li>", "<table><tr><td>",
                                        "<font>", "<pre>", "<a href='http://x/'>", "<b><i>"};
    struct mg_buf b, out;
    mg_buf_init(&b);
    mg_buf_init(&out);
    for (size_t k = 0; k < sizeof(opens) / sizeof(opens[0]); k++) {
        /* 150 levels: converted, the text after them intact, the output
         * bounded (prefixes of quotes and lists are capped). */
        nest(&b, opens[k], 150);
        struct mg_html_stats st;
        char *s = conv_n((const char *)b.data, b.len, NULL, &st);
        assert_non_null(strstr(s, "before"));
        assert_non_null(strstr(s, "deep"));
        assert_non_null(strstr(s, "after"));
        if (strlen(s) >= 1000)
            fail_msg("%s: %zu bytes", opens[k], strlen(s));
        free(s);
        /* 10000 levels: converted when the parser does not nest them (<a>
         * closes <a>), refused as too deep otherwise; never cut short. */
        nest(&b, opens[k], 10000);
        mg_buf_reset(&out);
        if (mg_html_to_text(b.data, b.len, NULL, NULL, &out, &st)) {
            assert_non_null(strstr(mg_buf_cstr(&out), "after"));
        } else {
            assert_int_equal(st.error, MG_HTML_ERR_DEPTH);
        }
    }
    nest(&b, "<div>", 10000);
    struct mg_html_stats st;
    mg_buf_reset(&out);
    assert_false(mg_html_to_text(b.data, b.len, NULL, NULL, &out, &st));
    assert_int_equal(st.error, MG_HTML_ERR_DEPTH);
    mg_buf_free(&b);
    mg_buf_free(&out);
}

static void test_attribute_limit(void **state)
{
    (void)state;
    struct mg_buf b, out;
    struct mg_html_stats st;
    mg_buf_init(&b);
    mg_buf_init(&out);
    for (int n = MG_HTML_MAX_ATTRS; n <= MG_HTML_MAX_ATTRS + 1; n++) {
        mg_buf_reset(&b);
        mg_buf_reset(&out);
        /* quoted values with '>' and no blanks between attributes count too */
        mg_buf_puts(&b, "<p title='<b<i>'");
        for (int i = 1; i < n; i++)
            mg_buf_printf(&b, "a%d=\"x>\"", i);
        mg_buf_puts(&b, ">text</p>");
        bool ok = mg_html_to_text(b.data, b.len, NULL, NULL, &out, &st);
        if (n <= MG_HTML_MAX_ATTRS) {
            assert_true(ok);
            assert_string_equal(mg_buf_cstr(&out), "text\n");
        } else {
            assert_false(ok);
            assert_int_equal(st.error, MG_HTML_ERR_ATTRS);
        }
    }
    mg_buf_free(&b);
    mg_buf_free(&out);
}

static void test_empty_and_limits(void **state)
{
    (void)state;
    EXPECT("", "");
    EXPECT("   \n\t ", "");
    EXPECT("<html><head><title>only a title</title></head><body></body></html>", "");

    struct mg_buf b;
    struct mg_html_stats st;
    mg_buf_init(&b);
    struct mg_html_opts o = {.max_output = 10};
    const char *h = "<p>this text is longer than ten bytes</p>";
    assert_false(mg_html_to_text((const uint8_t *)h, strlen(h), NULL, &o, &b, &st));
    assert_int_equal(st.error, MG_HTML_ERR_LIMIT);
    mg_buf_free(&b);

    /* bytes that no charset decodes */
    mg_buf_init(&b);
    h = "<p>\x80\xFF\x80\xFF\xFE</p>";
    assert_false(mg_html_to_text((const uint8_t *)h, strlen(h), "utf-8", NULL, &b, &st));
    assert_int_equal(st.error, MG_HTML_ERR_DECODE);
    mg_buf_free(&b);

    /* NUL bytes do not cut the text */
    static const char nul[] = "<p>a\0b</p><p>c</p>";
    char *s = conv_n(nul, sizeof(nul) - 1, NULL, &st);
    assert_non_null(strstr(s, "c"));
    free(s);
}

static bool stop_now(void *ctx)
{
    (void)ctx;
    return false;
}

static void test_time_limit(void **state)
{
    (void)state;
    struct mg_buf in, b;
    struct mg_html_stats st;
    mg_buf_init(&in);
    mg_buf_init(&b);
    for (int i = 0; i < 5000; i++)
        mg_buf_puts(&in, "<p>x</p>");
    struct mg_html_opts o = {.time_ok = stop_now};
    assert_false(mg_html_to_text(in.data, in.len, NULL, &o, &b, &st));
    assert_int_equal(st.error, MG_HTML_ERR_TIME);
    mg_buf_free(&in);
    mg_buf_free(&b);
}

static void test_url_classify(void **state)
{
    (void)state;
    struct mg_buf b;
    mg_buf_init(&b);
    assert_int_equal(mg_html_url_classify("  HTTPS://x/ ", &b), MG_HU_WEB);
    assert_string_equal(mg_buf_cstr(&b), "HTTPS://x/");
    assert_int_equal(mg_html_url_classify("java\nscript:x", &b), MG_HU_SCRIPT);
    assert_int_equal(mg_html_url_classify("\x01javascript:x", &b), MG_HU_SCRIPT);
    assert_int_equal(mg_html_url_classify("javascript&colon;x", &b), MG_HU_RELATIVE);
    assert_int_equal(mg_html_url_classify("//cdn.example/x", &b), MG_HU_WEB);
    assert_int_equal(mg_html_url_classify("cid:a@b", &b), MG_HU_CID);
    assert_int_equal(mg_html_url_classify("search-ms:query=x", &b), MG_HU_OTHER);
    assert_int_equal(mg_html_url_classify("", &b), MG_HU_EMPTY);
    char longu[MG_HTML_URL_MAX + 64];
    memset(longu, 'a', sizeof(longu));
    memcpy(longu, "http://", 7);
    longu[sizeof(longu) - 1] = '\0';
    assert_int_equal(mg_html_url_classify(longu, &b), MG_HU_TOO_LONG);
    mg_buf_free(&b);
}


/* ---- the sanitizer through the engine ---------------------------------- */


#define BASE_CONF MG_TEST_BASE_CONF

static bool has_action(const struct mg_item *it, enum mg_action a, const char *detail_part)
{
    for (size_t i = 0; i < it->n_actions; i++) {
        if (it->actions[i].action == a &&
            (detail_part == NULL || strstr(it->actions[i].detail, detail_part) != NULL))
            return true;
    }
    return false;
}

static char *result_text(struct mg_item *it)
{
    size_t len;
    const uint8_t *p = mg_item_result(it, &len);
    assert_non_null(p);
    char *s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

static void test_run_page(void **state)
{
    (void)state;
    struct mg_engine *e = mg_test_engine(BASE_CONF);
    struct mg_job *job = mg_job_new(e, "test-html");
    const char *h = "<!DOCTYPE html>\n<html><head><title>t</title><script>alert(1)</script></head>"
                    "<body onload='x()'><h1>Notice</h1><p>Read <a href='https://example.com/a'>"
                    "this</a> and <a href='javascript:go()'>that</a>.</p>"
                    "<img src='http://track.example/p.gif'><iframe src='http://x/'></iframe>"
                    "</body></html>\n";
    struct mg_item *it = mg_job_run(job, "Page.HTML", (const uint8_t *)h, strlen(h), MG_TC_UNKNOWN);
    assert_int_equal(it->type.cls, MG_TC_HTML);
    assert_int_equal(it->verdict, MG_SANITIZED);
    assert_string_equal(it->sanitizer, "html");
    assert_string_equal(mg_item_result_name(it), "Page.txt");
    assert_string_equal(it->out_mime, "text/plain; charset=utf-8");
    assert_true(has_action(it, MG_A_HTML_TO_TEXT, NULL));
    assert_true(has_action(it, MG_A_SCRIPT_REMOVED, "<script> \xC3\x97" "1"));
    assert_true(has_action(it, MG_A_SCRIPT_REMOVED, "on*= \xC3\x97" "1"));
    assert_true(has_action(it, MG_A_IMAGE_REMOVED, "http(s): \xC3\x97" "1"));
    assert_true(has_action(it, MG_A_EXTERNAL_REMOVED, "<a href> \xC3\x97" "1"));
    assert_true(has_action(it, MG_A_OLE_REMOVED, "<iframe>"));
    assert_false(has_action(it, MG_A_CONVERTED_TO_UTF8, NULL));
    char *s = result_text(it);
    assert_string_equal(s, "Notice\n\nRead this <https://example.com/a> and that.\n");
    free(s);
    mg_job_free(job);
    mg_engine_free(e);
}

static void test_run_japanese_and_defang(void **state)
{
    (void)state;
    struct mg_engine *e = mg_test_engine(BASE_CONF "[text]\nurls = defang\n");
    struct mg_job *job = mg_job_new(e, "test-html-ja");
    const char *h = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
                    "charset=Shift_JIS\"></head><body><p>" SJIS_TEXT "</p>"
                    "<p><a href='https://www.example.jp/x'>link</a></p></body></html>";
    struct mg_item *it = mg_job_run(job, "mail.htm", (const uint8_t *)h, strlen(h), MG_TC_UNKNOWN);
    assert_int_equal(it->verdict, MG_SANITIZED);
    assert_string_equal(mg_item_result_name(it), "mail.txt");
    assert_true(has_action(it, MG_A_CONVERTED_TO_UTF8, "CP932"));
    assert_true(has_action(it, MG_A_URL_DEFANGED, "1"));
    char *s = result_text(it);
    assert_string_equal(s, UTF8_TEXT "\n\nlink <hxxps://www[.]example[.]jp/x>\n");
    free(s);
    mg_job_free(job);
    mg_engine_free(e);
}

static void test_run_undecodable_is_blocked(void **state)
{
    (void)state;
    struct mg_engine *e = mg_test_engine(BASE_CONF);
    struct mg_job *job = mg_job_new(e, "test-html-bad");
    const char *h = "<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>x</title></head>"
                    "<body><p>broken \x80\xFF\x80\xFF\xFE bytes</p></body></html>\n";
    struct mg_item *it = mg_job_run(job, "bad.html", (const uint8_t *)h, strlen(h), MG_TC_UNKNOWN);
    assert_int_equal(it->verdict, MG_BLOCKED);
    assert_int_equal(it->reason, MG_R_MALFORMED);
    mg_job_free(job);
    mg_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paragraphs),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_pre),
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_scripts_styles),
        cmocka_unit_test(test_entities_and_markup_text),
        cmocka_unit_test(test_images),
        cmocka_unit_test(test_meta_charset),
        cmocka_unit_test(test_prescan),
        cmocka_unit_test(test_chunk_boundaries),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_attribute_limit),
        cmocka_unit_test(test_empty_and_limits),
        cmocka_unit_test(test_time_limit),
        cmocka_unit_test(test_url_classify),
        cmocka_unit_test(test_run_page),
        cmocka_unit_test(test_run_japanese_and_defang),
        cmocka_unit_test(test_run_undecodable_is_blocked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
