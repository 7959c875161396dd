#!/usr/bin/env bash
# Assemble (or refresh) a Solr home for CKAN's "ckan" core.
#
#   solr/prepare-home.sh SOLR_HOME SCHEMA_XML
#
# SCHEMA_XML is the schema.xml shipped with the installed ckan package, e.g.
#   python -c 'import ckan, os; print(os.path.join(os.path.dirname(ckan.__file__), "config/solr/schema.xml"))'
#
# Result:
#   SOLR_HOME/solr.xml
#   SOLR_HOME/ckan/core.properties
#   SOLR_HOME/ckan/conf/{solrconfig.xml,schema.xml,synonyms.txt,protwords.txt,stopwords.txt}
#   SOLR_HOME/ckan/data/            (index + update log; created by Solr, never touched here)
#
# Idempotent: config files are (re)written on every run so they always match this
# repository and the installed ckan; the data directory is never removed.
set -euo pipefail

usage() { echo "usage: $0 SOLR_HOME SCHEMA_XML" >&2; exit 2; }
[ $# -eq 2 ] || usage
home=$1
schema=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ ! -f "$schema" ]; then
  echo "prepare-home: schema file not found: $schema" >&2
  exit 1
fi

conf="$home/ckan/conf"
mkdir -p "$conf"

# copy only when content differs (keeps mtimes stable for unchanged files)
install_file() {  # SRC DEST
  if ! cmp -s "$1" "$2"; then
    cp -f "$1" "$2.tmp.$$"
    mv -f "$2.tmp.$$" "$2"
  fi
}

install_file "$here/solr.xml" "$home/solr.xml"
for f in solrconfig.xml synonyms.txt protwords.txt stopwords.txt; do
  install_file "$here/conf/$f" "$conf/$f"
done
install_file "$schema" "$conf/schema.xml"
# a managed-schema left over from an older setup would be ignored by
# ClassicIndexSchemaFactory, but avoid confusion
rm -f "$conf/managed-schema" "$conf/managed-schema.xml"

props="$home/ckan/core.properties"
want='name=ckan'
if [ ! -f "$props" ] || [ "$(cat "$props")" != "$want" ]; then
  printf '%s\n' "$want" > "$props.tmp.$$"
  mv -f "$props.tmp.$$" "$props"
fi
