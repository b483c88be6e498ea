#include "textflag.h"

// CRC_LOOP folds CX bytes at SI into the running (inverted) CRC in AX: 8 bytes at a time,
// then the rest by the instruction's 4-, 2- and 1-byte forms. It clobbers SI and CX. A macro
// rather than a function both routines call, because a call of its own costs about as much
// as the loop does on the records' few tens of bytes; its labels are the expanding
// function's own (the assembler scopes labels to a TEXT block).
#define CRC_LOOP \
	CMPQ   CX, $8; \
	JB     tail; \
words: \
	CRC32Q (SI), AX; \
	ADDQ   $8, SI; \
	SUBQ   $8, CX; \
	CMPQ   CX, $8; \
	JAE    words; \
tail: \
	CMPQ   CX, $4; \
	JB     two; \
	CRC32L (SI), AX; \
	ADDQ   $4, SI; \
	SUBQ   $4, CX; \
two: \
	CMPQ   CX, $2; \
	JB     one; \
	CRC32W (SI), AX; \
	ADDQ   $2, SI; \
	SUBQ   $2, CX; \
one: \
	TESTQ  CX, CX; \
	JZ     done; \
	CRC32B (SI), AX; \
done:

// func hasSSE42() bool
TEXT ·hasSSE42(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	SHRL $20, CX // ECX bit 20: SSE4.2
	ANDL $1, CX
	MOVB CX, ret+0(FP)
	RET

// func crcUpdateDirect(crc uint32, b []byte) uint32
TEXT ·crcUpdateDirect(SB), NOSPLIT, $0-36
	MOVL crc+0(FP), AX
	MOVQ b_base+8(FP), SI
	MOVQ b_len+16(FP), CX
	NOTL AX
	CRC_LOOP
	NOTL AX
	MOVL AX, ret+32(FP)
	RET

// func putHeaderDirect(rec []byte)
//
// rec is a record, its 12-byte header then its body (at least the header: the caller
// checks). It writes the body's length, the CRC-32C of the length's 4 bytes and the
// CRC-32C of the body into the header.
TEXT ·putHeaderDirect(SB), NOSPLIT, $0-24
	MOVQ rec_base+0(FP), DI
	MOVQ rec_len+8(FP), CX
	SUBQ $12, CX
	MOVL CX, 0(DI)
	MOVL $0xffffffff, AX
	CRC32L CX, AX
	NOTL AX
	MOVL AX, 4(DI)
	LEAQ 12(DI), SI
	MOVL $0xffffffff, AX
	CRC_LOOP
	NOTL AX
	MOVL AX, 8(DI)
	RET
