/* What the ole2 sanitizer looks for inside the document streams it keeps:
 * Word's FIB encryption flag and DDE field instructions, Excel's FILEPASS
 * and macro-sheet BOUNDSHEET records, PowerPoint's encryption and the
 * ExOleObjStg/VBAInfoAtom records that hold embedded objects and VBA. */
#ifndef MG_SANITIZERS_OLE2_CHECK_H
#define MG_SANITIZERS_OLE2_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mg_ole2_find {
    MG_OLE2_FINE = 0,
    MG_OLE2_ENCRYPTED,   /* block: encrypted */
    MG_OLE2_UNSAFE,      /* block: active content we cannot remove */
    MG_OLE2_MALFORMED,   /* block: malformed */
};

struct mg_ole2_result {
    enum mg_ole2_find find;
    char detail[200];
};

/* WordDocument stream: FIB checks. */
void mg_ole2_check_word(const uint8_t *wd, size_t len, struct mg_ole2_result *r);
/* Workbook/Book stream: BIFF record walk. */
void mg_ole2_check_excel(const uint8_t *wb, size_t len, struct mg_ole2_result *r);
/* "PowerPoint Document" stream. */
void mg_ole2_check_ppt(const uint8_t *pd, size_t len, struct mg_ole2_result *r);

/* Blanks, in place and keeping every offset, the instruction of each Word
 * field whose keyword is DDE, DDEAUTO, INCLUDETEXT, INCLUDEPICTURE, IMPORT
 * or LINK, or whose keyword is itself a nested field (8-bit and UTF-16
 * text alike); the field result stays. This scans the whole stream for
 * field-begin characters rather than walking the piece table. Returns how
 * many were blanked; first gets the first keyword seen. */
size_t mg_ole2_word_blank_fields(uint8_t *wd, size_t len, char *first, size_t firstlen);

#endif
