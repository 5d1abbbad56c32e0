/* release.c: releasing what the readers allocated.  Its own file because
 * every reader frees on failure: kept beside them, it would make the files
 * that parse containers and the file that walks them call each other. */
#include "image.h"
#include "image_internal.h"
#include "kernels.h"

#include <stdlib.h>
#include <string.h>

void ss_entry_free(struct ss_entry *e)
{
    if (e->data_owned)
        free(e->data);
    ss_kernels_free(e->kernels, e->nkernels);
}

void ss_container_free(struct ss_container *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nentries; i++)
        ss_entry_free(&c->entries[i]);
    free(c->entries);
    memset(c, 0, sizeof *c);
}

void ss_image_free(struct ss_image *image)
{
    if (!image)
        return;
    for (size_t i = 0; i < image->ncontainers; i++)
        ss_container_free(&image->containers[i]);
    free(image->containers);
    for (size_t i = 0; i < image->nnotes; i++)
        free(image->notes[i]);
    free(image->notes);
    memset(image, 0, sizeof *image);
}
