/*
 * libvirt_xml.c - what the domain and storage-pool XML says: disk targets and
 * sources, NIC MACs and target devices, title and owner, and pool keys.
 * Parsed with libxml2; the XML is data from the hypervisor, so it is read
 * without network access or entity expansion.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "libvirt_priv.h"

#define LVX_PARSE_OPTS                                                         \
    (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* Largest XML we agree to parse (a domain with hundreds of disks is ~1 MB). */
#define LVX_MAX_XML (16u << 20)

static xmlDocPtr lvx_read(const char *xml, struct sdc_error *err)
{
    size_t len;
    xmlDocPtr doc;

    if (!xml)
        return sdc_error_set(err, SDC_ERR_INVALID, "no XML"), NULL;
    len = strlen(xml);
    if (len > LVX_MAX_XML) {
        sdc_error_set(err, SDC_ERR_INVALID, "XML of %zu bytes is too large",
                      len);
        return NULL;
    }
    doc = xmlReadMemory(xml, (int)len, "libvirt.xml", NULL, LVX_PARSE_OPTS);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        sdc_error_set(err, SDC_ERR_INVALID, "cannot parse XML: %s",
                      e && e->message ? e->message : "unknown error");
    }
    return doc;
}

/* Copy of attribute @name of @node, or NULL. */
static char *attr(xmlNodePtr node, const char *name)
{
    xmlChar *v;
    char *s;
    if (!node)
        return NULL;
    v = xmlGetProp(node, (const xmlChar *)name);
    if (!v)
        return NULL;
    s = strdup((const char *)v);
    xmlFree(v);
    return s;
}

static bool attr_is(xmlNodePtr node, const char *name, const char *want)
{
    xmlChar *v = xmlGetProp(node, (const xmlChar *)name);
    bool eq = v && strcmp((const char *)v, want) == 0;
    xmlFree(v);
    return eq;
}

static bool name_is(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE &&
           strcmp((const char *)n->name, name) == 0;
}

/* First element child of @parent named @name. */
static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    if (!parent)
        return NULL;
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (name_is(c, name))
            return c;
    return NULL;
}

/* Text content of @node, trimmed; NULL if empty. */
static char *text(xmlNodePtr node)
{
    xmlChar *v;
    char *s, *start, *end;
    if (!node)
        return NULL;
    v = xmlNodeGetContent(node);
    if (!v)
        return NULL;
    start = (char *)v;
    while (*start && isspace((unsigned char)*start))
        start++;
    end = start + strlen(start);
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    s = end > start ? strndup(start, (size_t)(end - start)) : NULL;
    xmlFree(v);
    return s;
}

/* A disk or backing <source>: file, dev, dir, volume or protocol/name. */
static char *source_desc(xmlNodePtr src)
{
    static const char *const plain[] = {"file", "dev", "dir"};
    char *s = NULL;
    if (!src)
        return NULL;
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]) && !s; i++)
        s = attr(src, plain[i]);
    if (s)
        return s;
    {
        char *pool = attr(src, "pool");
        char *vol = attr(src, "volume");
        char *proto = attr(src, "protocol");
        char *name = attr(src, "name");
        if (pool && vol) {
            if (asprintf(&s, "%s/%s", pool, vol) < 0)
                s = NULL;
        } else if (proto && name) {
            if (asprintf(&s, "%s:%s", proto, name) < 0)
                s = NULL;
        } else if (name) {
            s = strdup(name);
        }
        free(pool);
        free(vol);
        free(proto);
        free(name);
    }
    return s;
}

/* The backing chain below a disk, as "a <- b <- c". */
static char *backing_chain(xmlNodePtr disk)
{
    char *chain = NULL;
    int depth = 0;
    for (xmlNodePtr bs = child(disk, "backingStore"); bs && depth < 64;
         bs = child(bs, "backingStore"), depth++) {
        char *s = source_desc(child(bs, "source"));
        if (!s)
            break;
        if (!chain) {
            chain = s;
        } else {
            char *joined;
            if (asprintf(&joined, "%s <- %s", chain, s) < 0)
                joined = NULL;
            free(chain);
            free(s);
            chain = joined;
            if (!chain)
                break;
        }
    }
    return chain;
}

static void str_lower(char *s)
{
    for (; s && *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static char *metadata_owner(xmlNodePtr meta)
{
    /* any namespace: the first <owner> or <department>, depth-first */
    if (!meta)
        return NULL;
    for (xmlNodePtr c = meta->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (name_is(c, "owner") || name_is(c, "department")) {
            char *s = text(c);
            if (s)
                return s;
        }
        {
            char *s = metadata_owner(c);
            if (s)
                return s;
        }
    }
    return NULL;
}

void lvx_domain_clear(struct lvx_domain *d)
{
    if (!d)
        return;
    free(d->title);
    free(d->owner);
    for (size_t i = 0; i < d->n_disks; i++) {
        free(d->disks[i].target);
        free(d->disks[i].source);
        free(d->disks[i].backing);
    }
    free(d->disks);
    for (size_t i = 0; i < d->n_nics; i++) {
        free(d->nics[i].mac);
        free(d->nics[i].target);
        free(d->nics[i].network);
    }
    free(d->nics);
    memset(d, 0, sizeof(*d));
}

enum sdc_rc lvx_parse_domain(const char *xml, struct lvx_domain *out,
                             struct sdc_error *err)
{
    xmlDocPtr doc;
    xmlNodePtr root, devices;
    size_t nd = 0, nn = 0;

    memset(out, 0, sizeof(*out));
    doc = lvx_read(xml, err);
    if (!doc)
        return SDC_ERR_INVALID;
    root = xmlDocGetRootElement(doc);
    if (!name_is(root, "domain")) {
        xmlFreeDoc(doc);
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "domain XML has no <domain> root");
    }
    out->title = text(child(root, "title"));
    out->owner = metadata_owner(child(root, "metadata"));
    devices = child(root, "devices");
    for (xmlNodePtr c = devices ? devices->children : NULL; c; c = c->next) {
        if (name_is(c, "disk"))
            nd++;
        else if (name_is(c, "interface"))
            nn++;
    }
    out->disks = nd ? calloc(nd, sizeof(*out->disks)) : NULL;
    out->nics = nn ? calloc(nn, sizeof(*out->nics)) : NULL;
    if ((nd && !out->disks) || (nn && !out->nics)) {
        xmlFreeDoc(doc);
        lvx_domain_clear(out);
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    }
    for (xmlNodePtr c = devices ? devices->children : NULL; c; c = c->next) {
        if (name_is(c, "disk")) {
            /* cdrom and floppy media are not provisioned storage */
            if (attr_is(c, "device", "cdrom") || attr_is(c, "device", "floppy"))
                continue;
            struct lvx_disk *d = &out->disks[out->n_disks];
            d->target = attr(child(c, "target"), "dev");
            if (!d->target)
                continue;
            d->source = source_desc(child(c, "source"));
            d->backing = backing_chain(c);
            out->n_disks++;
        } else if (name_is(c, "interface")) {
            struct lvx_nic *n = &out->nics[out->n_nics];
            n->mac = attr(child(c, "mac"), "address");
            if (!n->mac)
                continue;
            str_lower(n->mac);
            n->target = attr(child(c, "target"), "dev");
            n->network = attr(child(c, "source"), "network");
            if (!n->network)
                n->network = attr(child(c, "source"), "bridge");
            out->n_nics++;
        }
    }
    xmlFreeDoc(doc);
    return SDC_OK;
}

const struct lvx_nic *lvx_nic_by_target(const struct lvx_domain *d,
                                        const char *target)
{
    if (!d || !target)
        return NULL;
    for (size_t i = 0; i < d->n_nics; i++)
        if (d->nics[i].target && strcmp(d->nics[i].target, target) == 0)
            return &d->nics[i];
    return NULL;
}

void lvx_pool_clear(struct lvx_pool *p)
{
    if (!p)
        return;
    free(p->key);
    free(p->type);
    free(p->source);
    memset(p, 0, sizeof(*p));
}

/* Append "." + @part to @key, turning '/' into '.' and dropping repeats. */
static void key_append(char *key, size_t keylen, const char *part)
{
    size_t n = strlen(key);
    if (!part || !*part)
        return;
    for (const char *p = part; *p && n + 1 < keylen; p++) {
        char c = *p == '/' || *p == ':' ? '.' : *p;
        if (c == '.' && (n == 0 || key[n - 1] == '.'))
            continue;
        key[n++] = c;
    }
    while (n > 0 && key[n - 1] == '.')
        n--;
    if (n + 1 < keylen)
        key[n++] = '.';
    key[n] = '\0';
}

enum sdc_rc lvx_parse_pool(const char *xml, const char *host,
                           const char *pool_name, struct lvx_pool *out,
                           struct sdc_error *err)
{
    static const char *const shared_types[] = {
        "netfs",   "iscsi",    "iscsi-direct", "rbd",
        "gluster", "sheepdog", "vstorage",
    };
    xmlDocPtr doc;
    xmlNodePtr root, src;
    char key[512] = "";
    char *type;

    memset(out, 0, sizeof(*out));
    doc = lvx_read(xml, err);
    if (!doc)
        return SDC_ERR_INVALID;
    root = xmlDocGetRootElement(doc);
    if (!name_is(root, "pool")) {
        xmlFreeDoc(doc);
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "pool XML has no <pool> root");
    }
    type = attr(root, "type");
    out->type = type ? type : strdup("unknown");
    src = child(root, "source");
    for (size_t i = 0; i < sizeof(shared_types) / sizeof(*shared_types); i++) {
        if (type && strcmp(type, shared_types[i]) == 0)
            out->shared = true;
    }
    /* An FC/SCSI pool on a vHBA names the same LUNs on every host. */
    if (type && strcmp(type, "scsi") == 0) {
        xmlNodePtr ad = child(src, "adapter");
        if (ad && attr_is(ad, "type", "fc_host"))
            out->shared = true;
    }
    if (out->shared) {
        char *hostname = attr(child(src, "host"), "name");
        char *dir = attr(child(src, "dir"), "path");
        char *dev = attr(child(src, "device"), "path");
        char *name = text(child(src, "name"));
        char *wwpn = attr(child(src, "adapter"), "wwpn");
        const char *prefix =
            strcmp(out->type, "netfs") == 0 ? "nfs" : out->type;
        key_append(key, sizeof(key), prefix);
        key_append(key, sizeof(key), hostname);
        key_append(key, sizeof(key), dir);
        key_append(key, sizeof(key), dev);
        key_append(key, sizeof(key), name);
        key_append(key, sizeof(key), wwpn);
        size_t kl = strlen(key);
        if (kl > 0 && key[kl - 1] == '.')
            key[kl - 1] = '\0';
        if (asprintf(&out->source, "%s%s%s%s%s%s%s", hostname ? hostname : "",
                     hostname ? ":" : "", dir ? dir : "", dev ? dev : "",
                     name ? name : "", wwpn ? "wwpn=" : "",
                     wwpn ? wwpn : "") < 0)
            out->source = NULL;
        free(hostname);
        free(dir);
        free(dev);
        free(name);
        free(wwpn);
        /* a shared type with no usable source: fall back to local */
        if (strlen(key) <= strlen(prefix))
            out->shared = false;
    }
    if (!out->shared) {
        key[0] = '\0';
        key_append(key, sizeof(key), host);
        size_t kl = strlen(key);
        snprintf(key + kl, sizeof(key) - kl, "%s", pool_name ? pool_name : "");
    }
    out->key = strdup(key);
    xmlFreeDoc(doc);
    if (!out->key || !out->type) {
        lvx_pool_clear(out);
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    }
    return SDC_OK;
}

void lv_mac_to_id(const char *mac, char *out, size_t outlen)
{
    size_t n = 0;
    if (outlen == 0)
        return;
    for (const char *p = mac; p && *p && n + 1 < outlen; p++)
        out[n++] = *p == ':' ? '-' : (char)tolower((unsigned char)*p);
    out[n] = '\0';
}
