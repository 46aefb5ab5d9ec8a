# cmake -DIN=file -DOUT=file.c -P embed.cmake: writes `const unsigned char seccomp_profile_json[]`
# (NUL-terminated) and its length.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" body "${body}")
file(WRITE ${OUT} "/* generated from ${IN} */\n#include <stddef.h>\n"
     "extern const unsigned char seccomp_profile_json[];\nextern const size_t seccomp_profile_json_len;\n"
     "const unsigned char seccomp_profile_json[] = {\n${body}0x00};\n"
     "const size_t seccomp_profile_json_len = ${len};\n")
