/* A static probe the network tests copy into images: each command tries one thing and prints
 * one line, "<what>: ok ..." or "<what>: <errno name>", so a test can tell a blocked
 * destination (EACCES from the step's policy rules) from a missing service (ECONNREFUSED).
 *
 *   netprobe tcp ADDR PORT [PATH]   connect, GET PATH (default /), print the body's first line
 *   netprobe udp ADDR PORT          send a datagram (the policy refuses it at sendto)
 *   netprobe ping ADDR              ICMP echo through an unprivileged datagram socket
 *   netprobe raw                    socket(AF_INET, SOCK_RAW, IPPROTO_RAW)
 *   netprobe packet                 socket(AF_PACKET, SOCK_RAW, ETH_P_ALL)
 *   netprobe hdrincl ADDR           a raw ICMP socket with IP_HDRINCL, one packet sent
 *
 * Built by the tests: cc -static -O2 -o netprobe netprobe.c */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static const char *ename(int e)
{
    switch (e) {
    case EACCES:
        return "EACCES";
    case EPERM:
        return "EPERM";
    case ECONNREFUSED:
        return "ECONNREFUSED";
    case ENETUNREACH:
        return "ENETUNREACH";
    case EHOSTUNREACH:
        return "EHOSTUNREACH";
    case ETIMEDOUT:
        return "ETIMEDOUT";
    case EINVAL:
        return "EINVAL";
    case EAFNOSUPPORT:
        return "EAFNOSUPPORT";
    default:
        return strerror(e);
    }
}

static int addr_of(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((unsigned short)port);
        *len = sizeof(*in);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((unsigned short)port);
        *len = sizeof(*in6);
        return 0;
    }
    fprintf(stderr, "netprobe: '%s' is not a numeric address\n", host);
    exit(2);
}

static int timed(int fd)
{
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
}

static int tcp(const char *host, int port, const char *path)
{
    struct sockaddr_storage ss;
    socklen_t len;
    addr_of(host, port, &ss, &len);
    int fd = timed(socket(ss.ss_family, SOCK_STREAM, 0));
    if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
        printf("tcp %s %d: %s\n", host, port, ename(errno));
        return 1;
    }
    char req[512], buf[4096];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) {
        printf("tcp %s %d: write %s\n", host, port, ename(errno));
        return 1;
    }
    size_t got = 0;
    ssize_t r;
    while (got < sizeof(buf) - 1 && (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    char *body = strstr(buf, "\r\n\r\n");
    body = body ? body + 4 : buf;
    body[strcspn(body, "\r\n")] = '\0';
    printf("tcp %s %d: ok %s\n", host, port, body);
    return 0;
}

static int udp(const char *host, int port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    addr_of(host, port, &ss, &len);
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (fd < 0 || sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0) {
        printf("udp %s %d: %s\n", host, port, ename(errno));
        return 1;
    }
    printf("udp %s %d: ok sent\n", host, port);
    return 0;
}

static int ping(const char *host)
{
    struct sockaddr_storage ss;
    socklen_t len;
    addr_of(host, 0, &ss, &len);
    int fd = timed(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
    if (fd < 0) {
        printf("ping %s: socket %s\n", host, ename(errno));
        return 1;
    }
    struct icmphdr h = {.type = ICMP_ECHO};
    h.un.echo.sequence = htons(1);
    if (sendto(fd, &h, sizeof(h), 0, (struct sockaddr *)&ss, len) < 0) {
        printf("ping %s: %s\n", host, ename(errno));
        return 1;
    }
    char buf[512];
    ssize_t r = recv(fd, buf, sizeof(buf), 0);
    if (r < (ssize_t)sizeof(h) || ((struct icmphdr *)buf)->type != ICMP_ECHOREPLY) {
        printf("ping %s: no reply (%s)\n", host, r < 0 ? ename(errno) : "short");
        return 1;
    }
    printf("ping %s: ok reply\n", host);
    return 0;
}

static int sock(const char *what, int domain, int type, int proto)
{
    int fd = socket(domain, type, proto);
    if (fd < 0) {
        printf("%s: %s\n", what, ename(errno));
        return 1;
    }
    printf("%s: ok socket\n", what);
    return 0;
}

static int hdrincl(const char *host)
{
    struct sockaddr_storage ss;
    socklen_t len;
    addr_of(host, 0, &ss, &len);
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    int one = 1;
    if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
        printf("hdrincl %s: %s\n", host, ename(errno));
        return 1;
    }
    printf("hdrincl %s: ok socket\n", host);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc >= 4 && !strcmp(argv[1], "tcp"))
        return tcp(argv[2], (int)strtol(argv[3], NULL, 10), argc > 4 ? argv[4] : "/");
    if (argc == 4 && !strcmp(argv[1], "udp"))
        return udp(argv[2], (int)strtol(argv[3], NULL, 10));
    if (argc == 3 && !strcmp(argv[1], "ping"))
        return ping(argv[2]);
    if (argc == 2 && !strcmp(argv[1], "raw"))
        return sock("raw", AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (argc == 2 && !strcmp(argv[1], "packet"))
        return sock("packet", AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (argc == 3 && !strcmp(argv[1], "hdrincl"))
        return hdrincl(argv[2]);
    fprintf(stderr, "usage: netprobe tcp|udp|ping|raw|packet|hdrincl ...\n");
    return 2;
}
