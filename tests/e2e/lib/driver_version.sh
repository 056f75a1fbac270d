# shellcheck shell=bash
# A newer version of a sample driver for the live-update tests (live_update.sh, boot_serve.sh;
# sourced, not a test of its own). Needs X (xdrv), B (the build folder, its pki/) and T (the
# scratch folder).
#
# driver_version VERSION NAME [SED [DRIVER]]: DRIVER's sources (dp83820) with another version
# (and the SED change), built, packed with security_version 2 and signed into $T/NAME.xdrv
# (unsigned: $T/NAME.u.xdrv).
driver_version() {
  local v=$1 name=$2 extra=${3:-} drv=${4:-dp83820}
  local src
  src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
  mkdir -p "$T/$name"
  cp "$src"/sample-drivers/"$drv"/*.[ch] "$T/$name/"
  sed -i "s/\.version = \"1\.0\.0\"/.version = \"$v\"/" "$T/$name/$drv.c"
  [ -n "$extra" ] && sed -i "$extra" "$T/$name/$drv.c"
  "$X" build -o "$T/$name.bc" "$T/$name"/*.c >/dev/null &&
    "$X" pack -o "$T/$name.u.xdrv" --security-version 2 "$T/$name.bc" >/dev/null &&
    "$X" sign --cert "$B/pki/signer.pem" --key "$B/pki/signer.key" --chain "$B/pki/vendor.pem" \
      -o "$T/$name.xdrv" "$T/$name.u.xdrv" >/dev/null
}
