/* modules.c: find the extension modules (shared objects) of a package
 * directory, a wheel, or a single file, and read their bytes. */
#include "tools.h"
#include "zip.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A package holds a handful of modules; refuse absurd trees. */
#define MAX_MODULES 4096
#define MAX_DEPTH 32

struct path_list {
    size_t count, cap;
    char **paths;
};

static int path_list_add(struct path_list *l, const char *path)
{
    if (l->count == MAX_MODULES)
        return -1;
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **grown = realloc(l->paths, cap * sizeof *grown);
        if (!grown)
            return -1;
        l->paths = grown;
        l->cap = cap;
    }
    char *copy = strdup(path);
    if (!copy)
        return -1;
    l->paths[l->count++] = copy;
    return 0;
}

static void path_list_free(struct path_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->paths[i]);
    free(l->paths);
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static char *module_name(const char *path)
{
    const char *base = base_name(path);
    return strndup(base, strcspn(base, "."));
}

/* Collect every regular file named *<suffix> under dir (symbolic links not
 * followed, so a link cycle cannot loop). */
static int walk(const char *dir, const char *suffix, int depth, struct path_list *out,
                struct ss_error *err)
{
    if (depth > MAX_DEPTH)
        return ss_fail_nooffset(err, "%s: directories nested too deep", dir);
    DIR *d = opendir(dir);
    if (!d)
        return ss_fail_nooffset(err, "%s: cannot open directory", dir);
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t need = strlen(dir) + strlen(e->d_name) + 2;
        char *child = malloc(need);
        if (!child) {
            rc = ss_fail_nooffset(err, "out of memory");
            break;
        }
        snprintf(child, need, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(child, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = walk(child, suffix, depth + 1, out, err);
            else if (S_ISREG(st.st_mode) && has_suffix(e->d_name, suffix)
                     && path_list_add(out, child) < 0)
                rc = ss_fail_nooffset(err, "%s: too many modules or out of memory", dir);
        }
        free(child);
    }
    closedir(d);
    return rc;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_add(struct ext_module_list *list, char *name, char *path,
                    uint8_t *bytes, size_t len)
{
    struct ext_module *grown = realloc(list->items, (list->count + 1) * sizeof *grown);
    if (!grown || !name || !path) {
        if (grown)
            list->items = grown;
        free(name);
        free(path);
        free(bytes);
        return -1;
    }
    list->items = grown;
    list->items[list->count++] = (struct ext_module){ name, path, bytes, len };
    return 0;
}

static int collect_directory(const char *dir, struct ext_module_list *list, struct ss_error *err)
{
    struct path_list paths = { 0 };
    if (walk(dir, ".so", 0, &paths, err) < 0) {
        path_list_free(&paths);
        return -1;
    }
    if (paths.count)
        qsort(paths.paths, paths.count, sizeof *paths.paths, compare_paths);
    int rc = 0;
    for (size_t i = 0; i < paths.count && rc == 0; i++) {
        uint8_t *bytes;
        size_t len;
        struct ss_error read_err;
        if (ss_read_file(paths.paths[i], &bytes, &len, &read_err) < 0) {
            char text[320];
            ss_error_format(&read_err, text, sizeof text);
            rc = ss_fail_nooffset(err, "%s: %s", paths.paths[i], text);
            break;
        }
        if (list_add(list, module_name(paths.paths[i]), strdup(paths.paths[i]), bytes, len) < 0)
            rc = ss_fail_nooffset(err, "out of memory");
    }
    path_list_free(&paths);
    return rc;
}

static int collect_wheel(const char *path, const uint8_t *bytes, size_t len,
                         struct ext_module_list *list, struct ss_error *err)
{
    struct zip_archive zip;
    if (zip_open(bytes, len, &zip, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < zip.nmembers && rc == 0; i++) {
        const struct zip_member *m = &zip.members[i];
        if (!has_suffix(m->name, ".so"))
            continue;
        uint8_t *data;
        size_t data_len;
        if (zip_extract(&zip, m, &data, &data_len, err) < 0) {
            rc = -1;
            break;
        }
        size_t need = strlen(path) + strlen(m->name) + 2;
        char *where = malloc(need);
        if (where)
            snprintf(where, need, "%s!%s", path, m->name);
        if (list_add(list, module_name(m->name), where, data, data_len) < 0)
            rc = ss_fail_nooffset(err, "out of memory");
    }
    zip_close(&zip);
    return rc;
}

int collect_modules(const char *path, struct ext_module_list *list, struct ss_error *err)
{
    memset(list, 0, sizeof *list);
    struct stat st;
    if (stat(path, &st) != 0)
        return ss_fail_nooffset(err, "no such file or directory");
    if (S_ISDIR(st.st_mode))
        return collect_directory(path, list, err);
    uint8_t *bytes;
    size_t len;
    if (ss_read_file(path, &bytes, &len, err) < 0)
        return -1;
    if (zip_looks_like_archive(bytes, len)) {
        int rc = collect_wheel(path, bytes, len, list, err);
        free(bytes);
        return rc;
    }
    if (has_suffix(path, ".whl")) {
        free(bytes);
        return ss_fail_nooffset(err, "not a zip archive (a .whl wheel is one)");
    }
    if (list_add(list, module_name(path), strdup(path), bytes, len) < 0)
        return ss_fail_nooffset(err, "out of memory");
    return 0;
}

void free_modules(struct ext_module_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].name);
        free(list->items[i].path);
        free(list->items[i].bytes);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}

int find_files(const char *dir, const char *suffix, char ***paths, size_t *count,
               struct ss_error *err)
{
    struct path_list list = { 0 };
    *paths = NULL;
    *count = 0;
    if (walk(dir, suffix, 0, &list, err) < 0) {
        path_list_free(&list);
        return -1;
    }
    if (list.count)
        qsort(list.paths, list.count, sizeof *list.paths, compare_paths);
    *paths = list.paths;
    *count = list.count;
    return 0;
}

void free_paths(char **paths, size_t count)
{
    struct path_list list = { count, count, paths };
    path_list_free(&list);
}
