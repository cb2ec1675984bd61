/*
 * The pod sandbox process: PID 1 of every pod, holding the pod's namespaces open.
 *
 * It sleeps until a signal arrives, exits on SIGINT/SIGTERM (so a pod stops at once instead
 * of waiting for SIGKILL), and reaps orphans re-parented to it when the pod shares one PID
 * namespace, so they do not linger as zombies. Built with `gcc -static`, it needs no libc in
 * the image: the image is this one file.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) {
    (void) sig;
    _exit(0);
}

static void reap(int sig) {
    (void) sig;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

static void handle(int sig, void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    action.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
    if (sigaction(sig, &action, NULL) < 0) {
        perror("pause: sigaction");
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        printf("kvorum pause 1\n");
        return 0;
    }
    if (getpid() != 1) {
        fprintf(stderr, "pause: warning: not running as PID 1\n");
    }
    handle(SIGINT, stop);
    handle(SIGTERM, stop);
    handle(SIGCHLD, reap);
    for (;;) {
        pause();
    }
}
