# Install.cmake - what `cmake --install` puts where (GNUInstallDirs), and the
# Debian package (`cpack -G DEB` in the build directory).
#
# The programs and templates are installed beside the targets in the top
# CMakeLists.txt; here: man pages, the example configuration, the systemd
# unit, and CPack.  For the package, configure with
# -DCMAKE_INSTALL_PREFIX=/usr (scripts/package-check does).

set(SDC_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
  "Where the systemd unit goes, relative to the install prefix")

# Man pages: sdcmond(8), sdcmon-report(1), sdcmon-import(1),
# sdcmon-passwd(1), sdcmon.conf(5).
# @VERSION@ in them becomes the project's version.
set(VERSION "${PROJECT_VERSION}")
foreach(page sdcmon-report.1 sdcmon-import.1 sdcmon-passwd.1 sdcmon.conf.5
    sdcmond.8)
  configure_file(man/${page} ${CMAKE_BINARY_DIR}/man/${page} @ONLY)
  string(REGEX REPLACE ".*\\." "" section "${page}")
  install(FILES ${CMAKE_BINARY_DIR}/man/${page}
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()

# Documentation: the complete example and the installable configuration.
install(FILES sdcmon.conf.example etc/sdcmon.conf README.md
  docs/import.md docs/monthly-report.md docs/augmentation.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The systemd unit, with this install's paths.
set(SDC_UNIT_SBINDIR "${CMAKE_INSTALL_FULL_SBINDIR}")
set(SDC_UNIT_CONF "${CMAKE_INSTALL_FULL_SYSCONFDIR}/sdcmon/sdcmon.conf")
configure_file(dist/systemd/sdcmond.service.in
  ${CMAKE_BINARY_DIR}/sdcmond.service @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/sdcmond.service
  DESTINATION ${SDC_SYSTEMD_UNITDIR})

# /etc/sdcmon/sdcmon.conf: in the package only (a conffile).  A plain
# install leaves /etc alone; copy share/doc/sdcmon/sdcmon.conf from there.
install(FILES etc/sdcmon.conf DESTINATION /etc/sdcmon
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
  COMPONENT conffiles EXCLUDE_FROM_ALL)

# ---- CPack: the Debian package
set(CPACK_PACKAGE_NAME "sdcmon")
set(CPACK_PACKAGE_VENDOR "sdcmon")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "sdcmon maintainers <sdcmon@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "capacity monitor for a State Data Centre (libvirt, SNMP, RRD)")
set(CPACK_PACKAGE_DESCRIPTION
  "sdcmond polls hypervisors through libvirt and switches, SAN/NAS and hosts
through SNMP into RRD archives and an SQLite inventory; sdcmon-report writes
the monthly optimisation report; sdcmon-import loads history from another
monitor.")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_GENERATOR "DEB")
# One package holding the default component and the conffiles one.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified conffiles)
set(CPACK_DEBIAN_PACKAGE_NAME "sdcmon")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# Libraries from the binaries (dpkg-shlibdeps); adduser for postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "rrdtool, sqlite3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "rrdcached, libvirt-clients, snmp")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${CMAKE_SOURCE_DIR}/dist/debian/conffiles;${CMAKE_SOURCE_DIR}/dist/debian/postinst;${CMAKE_SOURCE_DIR}/dist/debian/prerm;${CMAKE_SOURCE_DIR}/dist/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
