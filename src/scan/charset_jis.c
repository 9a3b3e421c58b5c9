/* JIS arithmetic and the CP932 table lookup. A JIS X 0208 row/cell and a
 * Shift_JIS code are the same thing written two ways; extending the formula
 * past row 94 gives the CP932 user-defined (rows 95-114) and IBM extension
 * (rows 115-120) areas, which is how CP50220/CP51932 reach them. */
#include "scan/charset_priv.h"

static int lead_slot(uint8_t lead)
{
    if (lead >= 0x81 && lead <= 0x9F)
        return lead - 0x81;
    if (lead >= 0xE0 && lead <= 0xEF)
        return 31 + (lead - 0xE0);
    if (lead >= 0xFA && lead <= 0xFC)
        return 47 + (lead - 0xFA);
    return -1;
}

static int trail_index(uint8_t trail)
{
    if (trail >= 0x40 && trail <= 0x7E)
        return trail - 0x40;
    if (trail >= 0x80 && trail <= 0xFC)
        return 63 + (trail - 0x80);
    return -1;
}

uint32_t mg_cp932_lookup(uint8_t lead, uint8_t trail)
{
    int t = trail_index(trail);
    if (t < 0)
        return 0;
    if (lead >= 0xF0 && lead <= 0xF9)      /* user-defined: U+E000.. in order */
        return 0xE000u + (uint32_t)(lead - 0xF0) * 188u + (uint32_t)t;
    int s = lead_slot(lead);
    if (s < 0)
        return 0;
    return mg_cp932_fwd[(size_t)s * 188u + (size_t)t];
}

bool mg_jis_to_sjis(unsigned row, unsigned cell, uint8_t *s1, uint8_t *s2)
{
    if (row < 1 || row > 120 || cell < 1 || cell > 94)
        return false;
    unsigned l = (row - 1) / 2;
    *s1 = (uint8_t)(l < 31 ? 0x81 + l : 0xC1 + l);
    if (row % 2 == 1)
        *s2 = (uint8_t)(cell + 0x3F + (cell >= 64 ? 1 : 0));
    else
        *s2 = (uint8_t)(cell + 0x9E);
    return true;
}

bool mg_sjis_to_jis(uint8_t s1, uint8_t s2, unsigned *row, unsigned *cell)
{
    unsigned l;
    if (s1 >= 0x81 && s1 <= 0x9F)
        l = s1 - 0x81u;
    else if (s1 >= 0xE0 && s1 <= 0xFC)
        l = s1 - 0xC1u;
    else
        return false;
    if (s2 >= 0x9F && s2 <= 0xFC) {
        *row = 2 * l + 2;
        *cell = s2 - 0x9Eu;
    } else if (s2 >= 0x40 && s2 <= 0x9E && s2 != 0x7F) {
        *row = 2 * l + 1;
        *cell = s2 - 0x3Fu - (s2 >= 0x80 ? 1u : 0u);
    } else {
        return false;
    }
    return true;
}
